import { CheckpointError } from '../../errors';
import { readHfConfigJson } from './hf-folder';
import { HF_LLAMA_FIELD_NAMES, HfConfigFields, HfLlamaConfig } from './hf-llama-config';
import type { RopeScaling } from '../../model/rope-scaling-config';
import { readHfRopeScaling } from './hf-rope-scaling';

/** The `model_type` of a HuggingFace Gemma 3 text model (`Gemma3ForCausalLM`). */
export const HF_GEMMA3_MODEL_TYPE = 'gemma3_text';

/** HF's two layer kinds in `layer_types`. */
const SLIDING = 'sliding_attention';
const FULL = 'full_attention';

/**
 * The period of Gemma 3's layer pattern (every N-th layer full attention, the others sliding):
 * from `layer_types` when given (it must be such a pattern), else `sliding_window_pattern`
 * (transformers' default 6). Undefined when every layer is full attention (no local layer).
 */
function layerPattern(json: Record<string, unknown>, layers: number, f: HfConfigFields): number | undefined {
  const types = json.layer_types;
  if (types === undefined || types === null) {
    const pattern = f.positiveInt('sliding_window_pattern', 6);
    return pattern === 1 ? undefined : pattern;
  }
  if (!Array.isArray(types) || types.length !== layers || !types.every((t) => t === SLIDING || t === FULL)) {
    f.problems.push(`layer_types is ${JSON.stringify(types)}; expected num_hidden_layers (${layers}) entries, each "${SLIDING}" or "${FULL}"`);
    return undefined;
  }
  const firstFull = types.indexOf(FULL);
  // No full layer: a period past the last layer makes them all local.
  const pattern = firstFull === -1 ? layers + 1 : firstFull + 1;
  if (pattern === 1) {
    if (types.every((t) => t === FULL)) return undefined;
  } else if (types.every((t, i) => (t === FULL) === ((i + 1) % pattern === 0))) {
    return pattern;
  }
  f.problems.push(`layer_types ${JSON.stringify(types)} is not a repeating pattern of sliding layers closed by one full layer; Floe supports layers i with (i + 1) a multiple of N full, the others sliding (Gemma 3's sliding_window_pattern)`);
  return undefined;
}

/** The RoPE settings of both layer kinds. */
interface GemmaRope {
  ropeTheta: number;
  ropeLocalTheta: number;
  ropeScaling?: RopeScaling;
}

/**
 * RoPE of the full and the sliding layers: `rope_theta` (1e6), `rope_local_base_freq` (10000) and
 * `rope_scaling` (full layers only), or newer transformers' `rope_parameters: { full_attention: {
 * rope_type, rope_theta, ... }, sliding_attention: { rope_type: default, rope_theta } }`; a
 * top-level value that contradicts `rope_parameters` is a problem.
 */
function readGemmaRope(json: Record<string, unknown>, maxLength: number, f: HfConfigFields): GemmaRope {
  const legacy = { ropeTheta: f.positive('rope_theta', 1e6), ropeLocalTheta: f.positive('rope_local_base_freq', 10000), ropeScaling: readHfRopeScaling(json.rope_scaling, maxLength, f.problems) };
  const params = json.rope_parameters;
  if (params === undefined || params === null) return legacy;
  const perType = params as Record<string, Record<string, unknown> | undefined>;
  const full = perType.full_attention;
  const sliding = perType.sliding_attention;
  const theta = (part: Record<string, unknown> | undefined): unknown => part?.rope_theta;
  if (typeof params !== 'object' || typeof theta(full) !== 'number' || typeof theta(sliding) !== 'number' || !((theta(full) as number) > 0) || !((theta(sliding) as number) > 0)) {
    f.problems.push(`rope_parameters is ${JSON.stringify(params)}; Floe reads { full_attention: { rope_type, rope_theta, ... }, sliding_attention: { rope_type: "default", rope_theta } } with positive rope_theta`);
    return legacy;
  }
  const { rope_theta: ropeTheta, ...fullScaling } = full as Record<string, unknown>;
  const { rope_theta: ropeLocalTheta, ...slidingScaling } = sliding as Record<string, unknown>;
  if ((slidingScaling.rope_type ?? 'default') !== 'default' || Object.keys(slidingScaling).some((key) => key !== 'rope_type')) {
    f.problems.push(`rope_parameters.sliding_attention is ${JSON.stringify(sliding)}; Floe supports rope_type "default" (plain RoPE) on the sliding layers only`);
  }
  const ropeScaling = readHfRopeScaling(fullScaling, maxLength, f.problems);
  const read: GemmaRope = { ropeTheta: ropeTheta as number, ropeLocalTheta: ropeLocalTheta as number, ...(ropeScaling === undefined ? {} : { ropeScaling }) };
  for (const [key, mine] of [['rope_theta', read.ropeTheta], ['rope_local_base_freq', read.ropeLocalTheta]] as const) {
    if (json[key] !== undefined && json[key] !== null && json[key] !== mine) f.problems.push(`${key} is ${JSON.stringify(json[key])} but rope_parameters says ${mine}; give one or make them agree`);
  }
  return read;
}

/**
 * Reads `config.json` of a HuggingFace Gemma 3 text folder (`model_type: gemma3_text`) onto Floe's
 * GPT options: Llama's fields (`hidden_size`, `intermediate_size`, `num_hidden_layers`,
 * `num_attention_heads`, `num_key_value_heads`, `head_dim` (default 256), `vocab_size`,
 * `max_position_embeddings`, `rms_norm_eps`, `rope_theta` (default 1e6), `rope_scaling` (on the
 * global layers), `tie_word_embeddings` (default true)) and Gemma's: `hidden_activation
 * gelu_pytorch_tanh` → activation `geglu`; RMSNorm `x̂·(1 + w)` → `normOffset: 1`; four norms per
 * layer → `sandwichNorm`; q_norm / k_norm → `qkNorm`; embeddings × √hidden_size → `embedScale`;
 * `query_pre_attn_scalar` → `attnScale` (its −1/2 power); `sliding_window`, the layer pattern
 * (`layer_types` or `sliding_window_pattern`) and `rope_local_base_freq` → `slidingWindow`,
 * `slidingWindowPattern` and `ropeLocalTheta` (or the same from `rope_parameters`). Refused: logit soft-capping (Gemma 2), bidirectional
 * attention, biases, another activation, irregular layer types.
 *
 * @throws CheckpointError naming the file and every problem (field, value, what Floe supports).
 */
export async function readHfGemma3Config(dir: string): Promise<HfLlamaConfig> {
  const { file, json } = await readHfConfigJson(dir);
  const f = new HfConfigFields(json);
  if (json.model_type !== HF_GEMMA3_MODEL_TYPE) f.problems.push(`model_type is ${JSON.stringify(json.model_type)}; this reader takes ${HF_GEMMA3_MODEL_TYPE}`);
  const dim = f.positiveInt('hidden_size');
  const ffnDim = f.positiveInt('intermediate_size');
  const layers = f.positiveInt('num_hidden_layers');
  const heads = f.positiveInt('num_attention_heads');
  const kvHeads = f.positiveInt('num_key_value_heads', heads);
  const headDim = f.positiveInt('head_dim', 256);
  const vocabSize = f.positiveInt('vocab_size');
  const maxLength = f.positiveInt('max_position_embeddings', 131072);
  const normEps = f.positive('rms_norm_eps', 1e-6);
  const queryScalar = f.positive('query_pre_attn_scalar', 256);
  const slidingWindow = f.positiveInt('sliding_window', 4096);
  const tie = f.boolean('tie_word_embeddings', true);
  f.only('hidden_activation', 'gelu_pytorch_tanh', "Gemma's gated MLP is down(gelu_tanh(gate(x)) * up(x)), Floe's activation geglu");
  f.only('attention_bias', false, "Floe's Gemma 3 has no biases in q/k/v/o");
  f.only('final_logit_softcapping', null, 'Gemma 3 has none; soft-capped logits (Gemma 2) are not supported');
  f.only('attn_logit_softcapping', null, 'Gemma 3 has none; soft-capped attention scores (Gemma 2) are not supported');
  f.only('use_bidirectional_attention', false, "Floe's attention is causal");
  const { ropeTheta, ropeLocalTheta, ropeScaling } = readGemmaRope(json, maxLength, f);
  const pattern = f.problems.length === 0 ? layerPattern(json, layers, f) : undefined;
  if (f.problems.length === 0) {
    if (headDim % 2 !== 0) f.problems.push(`head_dim is ${headDim}; rotary positions need an even head size`);
    if (heads % kvHeads !== 0) f.problems.push(`num_key_value_heads ${kvHeads} does not divide num_attention_heads ${heads}; Floe's grouped-query attention needs an equal group of query heads per key/value head`);
  }
  if (f.problems.length > 0) throw new CheckpointError(`Cannot import Gemma 3 config '${file}': ${f.problems.join('; ')}.`);
  const local = pattern === undefined ? {} : { slidingWindow, slidingWindowPattern: pattern, ropeLocalTheta };
  return {
    file,
    architecture: {
      vocabSize, maxLength, layers, heads, kvHeads, dim, headDim, ffnDim, norm: 'rmsnorm', position: 'rope', activation: 'geglu', tieEmbeddings: tie, bias: false, normEps, ropeTheta,
      qkNorm: true, normOffset: 1, sandwichNorm: true, embedScale: Math.sqrt(dim), attnScale: queryScalar ** -0.5, ...local,
      ...(ropeScaling === undefined ? {} : { ropeScaling }),
    },
    fieldNames: {
      ...HF_LLAMA_FIELD_NAMES,
      headDim: json.head_dim === undefined ? 'head_dim (default 256)' : 'head_dim',
      activation: 'hidden_activation',
      ...Object.fromEntries((['norm', 'position', 'bias', 'qkNorm', 'normOffset', 'sandwichNorm'] as const).map((key) => [key, 'model_type gemma3_text'])),
      embedScale: 'sqrt(hidden_size)',
      attnScale: 'query_pre_attn_scalar ** -0.5',
      slidingWindow: 'sliding_window',
      slidingWindowPattern: json.layer_types === undefined ? 'sliding_window_pattern' : 'layer_types',
      ropeLocalTheta: 'rope_local_base_freq',
    },
  };
}
