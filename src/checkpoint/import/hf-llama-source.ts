import * as path from 'path';
import { GptSource, LoadSourceWeightsOptions, WeightTarget } from './gpt-source';
import { hfWeightFiles } from './hf-folder';
import { readHfGemma3Config } from './hf-gemma3-config';
import { HfLlamaConfig, readHfLlamaConfig } from './hf-llama-config';
import { loadPlannedHfTensors } from './load-hf-weights';
import { QkvPart, floeToHfLlamaNames, mapHfLlamaName } from './hf-llama-names';
import { PlannedHfTensor, planHfWeights, refuseNonFiniteHfWeights, requiredHfTargets } from './plan-hf-weights';

const QKV_PARTS: readonly QkvPart[] = ['q', 'k', 'v'];

/** Widths of the q, k and v column blocks of `attn.qkv.weight` (`heads`, `kvHeads` and `kvHeads` times the head size). */
function qkvWidths(config: HfLlamaConfig): Record<QkvPart, number> {
  const { dim, heads, kvHeads, headDim } = config.architecture as { dim: number; heads: number; kvHeads?: number; headDim?: number };
  const size = headDim ?? dim / heads;
  const kv = size * (kvHeads ?? heads);
  return { q: size * heads, k: kv, v: kv };
}

/**
 * Checks every tensor's name, dtype and shape from the headers alone (see {@link planHfWeights}):
 * q/k/v projections each fill their block of the packed `attn.qkv` weight (or bias).
 */
function plan(files: string[], params: ReadonlyMap<string, WeightTarget>, config: HfLlamaConfig, family: HfFamily): Promise<PlannedHfTensor[]> {
  const tied = config.architecture.tieEmbeddings === true;
  const widths = qkvWidths(config);
  const names = { gemma: family === 'Gemma 3' };
  return planHfWeights({
    files,
    params,
    family,
    place(hfName) {
      const m = mapHfLlamaName(hfName, names);
      if (m.kind === 'ignore' || (m.kind === 'lm_head' && tied)) return 'ignore';
      if (m.kind === 'unknown') return 'unknown';
      if (m.kind === 'lm_head') return { target: 'lm_head.weight', transpose: true };
      if (m.kind === 'qkv') return { target: m.name, transpose: true, part: m.part };
      return { target: m.name, transpose: m.transpose };
    },
    // A q/k/v block: columns of the packed weight, or a slice of the packed (Qwen2) bias.
    partShape: (shape, part) => (shape.length === 1 ? [widths[part as QkvPart]] : [shape[0], widths[part as QkvPart]]),
    unloaded(name, covered) {
      const hfNames = floeToHfLlamaNames(name, names);
      const missing = /\.attn\.qkv\.(weight|bias)$/.test(name) ? hfNames.filter((_, i) => !covered.has(`${name}/${QKV_PARTS[i]}`)) : covered.has(name) ? [] : hfNames;
      if (missing.length === 0 && hfNames.length > 0) return undefined;
      return `no tensor for '${name}' (${family} ${missing.map((n) => `'${n}'`).join(', ') || '?'})`;
    },
    tensorLabel: (hfName, file) => `'${hfName}' in ${path.basename(file)}`,
    storedTwice: (hfName, _key, file) => `'${hfName}' is stored twice (again in ${path.basename(file)})`,
  });
}

/**
 * A HuggingFace Llama-family folder (`config.json` with `model_type` llama, mistral, qwen2 or qwen3,
 * `model.safetensors` or sharded safetensors with `model.safetensors.index.json`, optional
 * `tokenizer.json`) as a {@link GptSource}: Llama is Floe's GPT with rmsnorm, rope, swiglu and no
 * biases (`qwen2`: q/k/v biases, packed into `attn.qkv.bias` as the weights are; `qwen3`: `q_norm` / `k_norm` as `attn.qNorm` / `attn.kNorm`). Names map as in {@link mapHfLlamaName}; PyTorch linear weights `[out, in]` are
 * transposed to Floe's `[in, out]`, and each layer's q/k/v projections are packed into one
 * `attn.qkv.weight` (k and v are `kvHeads · headDim` wide with grouped-query attention). Half-precision weights widen to float32; `rotary_emb.inv_freq` buffers are
 * ignored (recomputed from rope_theta), as is a stored `lm_head.weight` when embeddings are tied.
 */
export async function openHfLlamaSource(dir: string): Promise<GptSource> {
  return openLlamaLayout(dir, await readHfLlamaConfig(dir), 'Llama');
}

/**
 * A HuggingFace Gemma 3 text folder (`model_type: gemma3_text`, `Gemma3ForCausalLM`'s layout,
 * {@link readHfGemma3Config}) as a {@link GptSource}: Llama's layout and names plus four norms a
 * layer (see `mapHfLlamaName`'s `gemma`) and q_norm / k_norm; the norm weights load as stored
 * (`w`, the model's `normOffset: 1` adds the 1).
 */
export async function openHfGemma3Source(dir: string): Promise<GptSource> {
  return openLlamaLayout(dir, await readHfGemma3Config(dir), 'Gemma 3');
}

/** Which layout's names a folder uses, as messages name it. */
type HfFamily = 'Llama' | 'Gemma 3';

async function openLlamaLayout(dir: string, config: HfLlamaConfig, family: HfFamily): Promise<GptSource> {
  const files = await hfWeightFiles(dir);
  return {
    kind: family === 'Llama' ? 'hf-llama' : 'hf-gemma3',
    dir,
    configFile: config.file,
    architecture: config.architecture,
    fieldNames: config.fieldNames,
    async loadWeights(all: ReadonlyMap<string, WeightTarget>, options: LoadSourceWeightsOptions = {}): Promise<void> {
      const params = requiredHfTargets(all, options);
      const planned = await plan(files, params, config, family);
      refuseNonFiniteHfWeights(family, dir, await loadPlannedHfTensors(files, planned, params, QKV_PARTS));
    },
  };
}
