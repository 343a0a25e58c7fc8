import { GptSource, LoadSourceWeightsOptions, WeightTarget } from './gpt-source';
import { hfWeightFiles } from './hf-folder';
import { readHfGpt2Config } from './hf-gpt2-config';
import { floeToHfGpt2Name, mapHfGpt2Name } from './hf-gpt2-names';
import { loadPlannedHfTensors } from './load-hf-weights';
import { PlannedHfTensor, planHfWeights, refuseNonFiniteHfWeights, requiredHfTargets } from './plan-hf-weights';

/**
 * Checks every tensor's name, dtype and shape from the headers alone (see {@link planHfWeights}):
 * GPT-2's Conv1D weights are `[in, out]` like Floe's; only an untied `lm_head.weight` is transposed.
 */
function plan(files: string[], params: ReadonlyMap<string, WeightTarget>, tied: boolean): Promise<PlannedHfTensor[]> {
  return planHfWeights({
    files,
    params,
    family: 'GPT-2',
    place(hfName) {
      const m = mapHfGpt2Name(hfName);
      if (m.kind === 'ignore' || (m.kind === 'lm_head' && tied)) return 'ignore';
      if (m.kind === 'unknown') return 'unknown';
      return m.kind === 'lm_head' ? { target: 'lm_head.weight', transpose: true } : { target: m.name, transpose: false };
    },
    unloaded(name, covered) {
      // GPT-2's untied head has no bias; Floe's zero-initialised one stays zero.
      if (covered.has(name) || name === 'lm_head.bias') return undefined;
      return `no tensor for '${name}' (GPT-2 '${floeToHfGpt2Name(name) ?? '?'}')`;
    },
    tensorLabel: (hfName) => `'${hfName}'`,
    storedTwice: (hfName, target) => `'${target}' is stored twice (again as '${hfName}')`,
  });
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
      const params = requiredHfTargets(all, options);
      const planned = await plan(files, params, tied);
      refuseNonFiniteHfWeights('GPT-2', dir, await loadPlannedHfTensors(files, planned, params));
    },
  };
}
