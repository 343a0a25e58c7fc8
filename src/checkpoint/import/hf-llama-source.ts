import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { rawToTensor } from '../formats/raw-to-tensor';
import { readSafetensors, readSafetensorsHeader } from '../formats/read-safetensors';
import { listNames, nonFiniteTensors } from '../non-finite-values';
import { GptSource, LoadSourceWeightsOptions, WeightTarget } from './gpt-source';
import { hfWeightFiles } from './hf-folder';
import { HfLlamaConfig, readHfLlamaConfig } from './hf-llama-config';
import { QkvPart, floeToHfLlamaNames, mapHfLlamaName } from './hf-llama-names';

const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];
const QKV_PARTS: readonly QkvPart[] = ['q', 'k', 'v'];

/** Where one source tensor goes: a whole Floe parameter, or one q/k/v block of a packed one. */
interface Planned {
  file: string;
  hfName: string;
  target: string;
  transpose: boolean;
  part?: QkvPart;
}

/** Widths of the q, k and v column blocks of `attn.qkv.weight`. */
function qkvWidths(config: HfLlamaConfig): Record<QkvPart, number> {
  const dim = config.architecture.dim as number;
  const heads = config.architecture.heads as number;
  const kv = (dim / heads) * (config.architecture.kvHeads ?? heads);
  return { q: dim, k: kv, v: kv };
}

/**
 * Checks every tensor's name, dtype and shape from the headers alone (nothing is loaded or
 * assigned until the whole folder is known to fit the model).
 */
async function plan(files: string[], params: ReadonlyMap<string, WeightTarget>, config: HfLlamaConfig): Promise<Planned[]> {
  const tied = config.architecture.tieEmbeddings === true;
  const widths = qkvWidths(config);
  const planned: Planned[] = [];
  const problems: string[] = [];
  const covered = new Set<string>();
  for (const file of files) {
    const header = await readSafetensorsHeader(file);
    for (const e of header.entries) {
      const m = mapHfLlamaName(e.name);
      if (m.kind === 'ignore' || (m.kind === 'lm_head' && tied)) continue;
      if (m.kind === 'unknown') {
        problems.push(`unexpected tensor '${e.name}' in ${path.basename(file)}`);
        continue;
      }
      const target = m.kind === 'lm_head' ? 'lm_head.weight' : m.name;
      const transpose = m.kind !== 'param' || m.transpose;
      const part = m.kind === 'qkv' ? m.part : undefined;
      const variable = params.get(target);
      if (variable === undefined) {
        problems.push(`'${e.name}' in ${path.basename(file)} maps to '${target}', which a model of this config does not have`);
        continue;
      }
      // A q/k/v block: columns of the packed weight, or a slice of the packed (Qwen2) bias.
      const floeShape = part === undefined ? variable.shape : variable.shape.length === 1 ? [widths[part]] : [variable.shape[0], widths[part]];
      const want = transpose ? [...floeShape].reverse() : floeShape;
      const key = part === undefined ? target : `${target}/${part}`;
      if (!tf.util.arraysEqual(e.shape, want)) problems.push(`'${e.name}' in ${path.basename(file)} has shape [${e.shape}] but the config implies [${want}]`);
      else if (!FLOAT_DTYPES.includes(e.dtype)) problems.push(`'${e.name}' has dtype ${e.dtype}, expected a float type (${FLOAT_DTYPES.join(', ')})`);
      else if (covered.has(key)) problems.push(`'${e.name}' is stored twice (again in ${path.basename(file)})`);
      else {
        covered.add(key);
        planned.push({ file, hfName: e.name, target, transpose, part });
      }
    }
  }
  for (const name of params.keys()) {
    const hfNames = floeToHfLlamaNames(name);
    const missing = /\.attn\.qkv\.(weight|bias)$/.test(name) ? hfNames.filter((_, i) => !covered.has(`${name}/${QKV_PARTS[i]}`)) : covered.has(name) ? [] : hfNames;
    if (missing.length > 0 || hfNames.length === 0) problems.push(`no tensor for '${name}' (Llama ${missing.map((n) => `'${n}'`).join(', ') || '?'})`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).join('; ');
    const more = problems.length > 12 ? `; and ${problems.length - 12} more` : '';
    throw new CheckpointError(`Cannot load Llama weights from ${files.join(', ')}: ${shown}${more}.`);
  }
  return planned;
}

/**
 * Loads the planned tensors file by file and returns those holding NaN or an infinity (checked
 * per source tensor, before packing, so a message names the very projection). q, k and v of a
 * layer may sit in different shards: each waits (transposed) until its layer's three are read,
 * then they are packed into `attn.qkv.weight` as `[q | k | v]` columns.
 */
async function assign(files: string[], planned: readonly Planned[], params: ReadonlyMap<string, WeightTarget>): Promise<Planned[]> {
  const pending = new Map<string, Partial<Record<QkvPart, tf.Tensor>>>();
  const nonFinite: Planned[] = [];
  try {
    for (const file of files) {
      const { tensors } = await readSafetensors(file);
      const here = planned.filter((p) => p.file === file);
      const loaded = new Map<string, tf.Tensor>();
      try {
        for (const p of here) {
          const raw = tensors.get(p.hfName);
          if (raw === undefined) throw new CheckpointError(`Tensor '${p.hfName}' vanished from ${file} while loading.`);
          loaded.set(p.hfName, rawToTensor(raw, p.hfName));
        }
        const bad = new Set(await nonFiniteTensors(loaded));
        nonFinite.push(...here.filter((p) => bad.has(p.hfName)));
        for (const p of here) {
          const t = loaded.get(p.hfName) as tf.Tensor;
          const variable = params.get(p.target) as WeightTarget;
          if (p.part === undefined) {
            tf.tidy(() => variable.assign(p.transpose ? tf.transpose(t) : t));
            continue;
          }
          const parts = pending.get(p.target) ?? {};
          pending.set(p.target, parts);
          parts[p.part] = tf.transpose(t);
          if (QKV_PARTS.every((k) => parts[k] !== undefined)) {
            tf.tidy(() => variable.assign(tf.concat(QKV_PARTS.map((k) => parts[k] as tf.Tensor), variable.shape.length - 1)));
            tf.dispose(Object.values(parts));
            pending.delete(p.target);
          }
        }
      } finally {
        tf.dispose([...loaded.values()]);
      }
    }
  } finally {
    for (const parts of pending.values()) tf.dispose(Object.values(parts));
  }
  return nonFinite;
}

/**
 * A HuggingFace Llama folder (`config.json` with `model_type: llama` or `mistral`,
 * `model.safetensors` or sharded safetensors with `model.safetensors.index.json`, optional
 * `tokenizer.json`) as a {@link GptSource}: Llama is Floe's GPT with rmsnorm, rope, swiglu and no
 * biases (`qwen2`: q/k/v biases, packed into `attn.qkv.bias` as the weights are). Names map as in {@link mapHfLlamaName}; PyTorch linear weights `[out, in]` are
 * transposed to Floe's `[in, out]`, and each layer's q/k/v projections are packed into one
 * `attn.qkv.weight` (k and v are `kvHeads · headDim` wide with grouped-query attention). Half-precision weights widen to float32; `rotary_emb.inv_freq` buffers are
 * ignored (recomputed from rope_theta), as is a stored `lm_head.weight` when embeddings are tied.
 */
export async function openHfLlamaSource(dir: string): Promise<GptSource> {
  const config = await readHfLlamaConfig(dir);
  const files = await hfWeightFiles(dir);
  return {
    kind: 'hf-llama',
    dir,
    configFile: config.file,
    architecture: config.architecture,
    fieldNames: config.fieldNames,
    async loadWeights(all: ReadonlyMap<string, WeightTarget>, options: LoadSourceWeightsOptions = {}): Promise<void> {
      // A Llama folder never holds LoRA factors: the optional ones keep their init.
      const optional = options.optional ?? new Set<string>();
      const params = new Map([...all].filter(([name]) => !optional.has(name)));
      const planned = await plan(files, params, config);
      refuseNonFinite(await assign(files, planned, params), dir);
    },
  };
}

/**
 * Throws when a loaded weight holds NaN or an infinity: trained weights never do, and F64 values
 * beyond float32's range widen to infinities (see the GPT-2 source). Such a model would only give
 * NaN losses.
 */
function refuseNonFinite(bad: readonly Planned[], dir: string): void {
  if (bad.length === 0) return;
  const files = [...new Set(bad.map((p) => path.basename(p.file)))].join(', ');
  throw new CheckpointError(
    `Cannot load Llama weights from '${dir}': ${files} ${files.includes(',') ? 'hold' : 'holds'} NaN or infinite values, in ${listNames(bad.map((p) => p.hfName))} (after widening to float32). ` +
      'Trained weights never hold them, so the file is damaged or was converted wrongly: download or convert the model again.',
  );
}
