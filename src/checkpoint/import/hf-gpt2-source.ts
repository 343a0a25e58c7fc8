import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { rawToTensor } from '../formats/raw-to-tensor';
import { readSafetensors, readSafetensorsHeader } from '../formats/read-safetensors';
import { listNames, nonFiniteTensors } from '../non-finite-values';
import { GptSource, LoadSourceWeightsOptions, WeightTarget } from './gpt-source';
import { hfWeightFiles } from './hf-folder';
import { readHfGpt2Config } from './hf-gpt2-config';
import { floeToHfGpt2Name, mapHfGpt2Name } from './hf-gpt2-names';

const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];

/** Where each source tensor goes. */
interface Planned {
  file: string;
  hfName: string;
  target: string;
  transpose: boolean;
}

/**
 * Checks every tensor's name, dtype and shape from the headers alone (nothing is loaded or
 * assigned until the whole folder is known to fit the model).
 */
async function plan(files: string[], params: ReadonlyMap<string, WeightTarget>, tied: boolean): Promise<Planned[]> {
  const planned: Planned[] = [];
  const problems: string[] = [];
  const covered = new Set<string>();
  for (const file of files) {
    const header = await readSafetensorsHeader(file);
    for (const e of header.entries) {
      const m = mapHfGpt2Name(e.name);
      if (m.kind === 'ignore' || (m.kind === 'lm_head' && tied)) continue;
      if (m.kind === 'unknown') {
        problems.push(`unexpected tensor '${e.name}' in ${path.basename(file)}`);
        continue;
      }
      const target = m.kind === 'lm_head' ? 'lm_head.weight' : m.name;
      const transpose = m.kind === 'lm_head';
      const variable = params.get(target);
      if (variable === undefined) {
        problems.push(`'${e.name}' maps to '${target}', which a model of this config does not have`);
        continue;
      }
      const want = transpose ? [...variable.shape].reverse() : variable.shape;
      if (!tf.util.arraysEqual(e.shape, want)) problems.push(`'${e.name}' has shape [${e.shape}] but the config implies [${want}]`);
      else if (!FLOAT_DTYPES.includes(e.dtype)) problems.push(`'${e.name}' has dtype ${e.dtype}, expected a float type (${FLOAT_DTYPES.join(', ')})`);
      else if (covered.has(target)) problems.push(`'${target}' is stored twice (again as '${e.name}')`);
      else {
        covered.add(target);
        planned.push({ file, hfName: e.name, target, transpose });
      }
    }
  }
  for (const name of params.keys()) {
    // GPT-2's untied head has no bias; Floe's zero-initialised one stays zero.
    if (!covered.has(name) && name !== 'lm_head.bias') problems.push(`no tensor for '${name}' (GPT-2 '${floeToHfGpt2Name(name) ?? '?'}')`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).join('; ');
    const more = problems.length > 12 ? `; and ${problems.length - 12} more` : '';
    throw new CheckpointError(`Cannot load GPT-2 weights from ${files.join(', ')}: ${shown}${more}.`);
  }
  return planned;
}

/**
 * A HuggingFace GPT-2 folder (`config.json`, `model.safetensors` or sharded safetensors with an
 * index, optional `tokenizer.json`) as a {@link GptSource}. Names map as `wte` → `embed.tokens`,
 * `wpe` → `embed.positions`, `h.{i}.ln_1/attn.c_attn/attn.c_proj/ln_2/mlp.c_fc/mlp.c_proj` →
 * `blocks.{i}.norm1/attn.qkv/attn.out/norm2/mlp.up/mlp.down`, `ln_f` → `norm`, optionally
 * prefixed `transformer.`. Conv1D weights are `[in, out]` like Floe's, so they copy unchanged; an
 * untied `lm_head.weight` (`nn.Linear`, `[V, D]`) is transposed. Half-precision weights widen to
 * float32.
 */
export async function openHfGpt2Source(dir: string): Promise<GptSource> {
  const config = await readHfGpt2Config(dir);
  const files = await hfWeightFiles(dir);
  const tied = config.architecture.tieEmbeddings !== false;
  return {
    kind: 'hf-gpt2',
    dir,
    configFile: config.file,
    architecture: config.architecture,
    fieldNames: config.fieldNames,
    async loadWeights(all: ReadonlyMap<string, WeightTarget>, options: LoadSourceWeightsOptions = {}): Promise<void> {
      // A GPT-2 folder never holds LoRA factors: the optional ones keep their init.
      const optional = options.optional ?? new Set<string>();
      const params = new Map([...all].filter(([name]) => !optional.has(name)));
      const planned = await plan(files, params, tied);
      const nonFinite: string[] = [];
      for (const file of files) {
        const { tensors } = await readSafetensors(file);
        // Checked per file as it loads (the targets may not be tensors to read back).
        const loaded = new Map<string, tf.Tensor>();
        try {
          for (const p of planned) {
            if (p.file !== file) continue;
            const raw = tensors.get(p.hfName);
            if (raw === undefined) throw new CheckpointError(`Tensor '${p.hfName}' vanished from ${file} while loading.`);
            const t = rawToTensor(raw, p.hfName);
            loaded.set(p.hfName, t);
            const target = params.get(p.target) as WeightTarget;
            tf.tidy(() => target.assign(p.transpose ? tf.transpose(t) : t));
          }
          nonFinite.push(...(await nonFiniteTensors(loaded)));
        } finally {
          tf.dispose([...loaded.values()]);
        }
      }
      refuseNonFinite(planned, nonFinite, dir);
    },
  };
}

/**
 * Throws when a loaded weight holds NaN or an infinity (as a Floe checkpoint's would be refused):
 * trained weights never do, and F64 values beyond float32's range widen to infinities. Such a
 * model would only give NaN losses and text from NaN logits.
 */
function refuseNonFinite(planned: readonly Planned[], bad: readonly string[], dir: string): void {
  if (bad.length === 0) return;
  const files = [...new Set(planned.filter((p) => bad.includes(p.hfName)).map((p) => path.basename(p.file)))].join(', ');
  throw new CheckpointError(
    `Cannot load GPT-2 weights from '${dir}': ${files} ${files.includes(',') ? 'hold' : 'holds'} NaN or infinite values, in ${listNames(bad)} (after widening to float32). ` +
      'Trained weights never hold them, so the file is damaged or was converted wrongly: download or convert the model again.',
  );
}
