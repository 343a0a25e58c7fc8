import { CheckpointError } from '../../errors';
import { GptArchitecture, GptArchitectureKey } from './gpt-source';
import { readHfConfigJson } from './hf-folder';
import { readHfRopeScaling } from './hf-rope-scaling';

/**
 * `model_type`s read as Llama: Mistral is Llama's maths plus an optional sliding window, Qwen2
 * adds biases on the q/k/v projections (and an optional sliding window), Qwen3 an RMSNorm over
 * each query and key head (`q_norm` / `k_norm`, Floe's `qkNorm`) and its own `head_dim`.
 */
export const HF_LLAMA_MODEL_TYPES = ['llama', 'mistral', 'qwen2', 'qwen3'] as const;

/** A HuggingFace Llama-family (Llama, Mistral, Qwen2, Qwen3) `config.json`, mapped onto Floe's GPT options. */
export interface HfLlamaConfig {
  /** The config file read. */
  file: string;
  /** Floe architecture options. */
  architecture: GptArchitecture;
  /** HF key of each option, for messages. */
  fieldNames: Partial<Record<GptArchitectureKey, string>>;
}

/** Reads fields of one config object, collecting every problem rather than stopping at the first. */
export class HfConfigFields {
  /** Every problem found so far, each naming its key, value and what is supported. */
  readonly problems: string[] = [];
  /** Reads `json`. */
  constructor(private readonly json: Record<string, unknown>) {}

  /** A positive integer (or `fallback` when absent). */
  positiveInt(key: string, fallback?: number): number {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) this.problems.push(`${key} is ${JSON.stringify(v)}, expected a positive integer`);
    return v as number;
  }

  /** A positive finite number (or `fallback` when absent). */
  positive(key: string, fallback: number): number {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.problems.push(`${key} is ${JSON.stringify(v)}, expected a positive number`);
    return v as number;
  }

  /** true or false (or `fallback` when absent). */
  boolean(key: string, fallback: boolean): boolean {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'boolean') this.problems.push(`${key} is ${JSON.stringify(v)}, expected true or false`);
    return v as boolean;
  }

  /** A field whose only supported value is `allowed`: anything else names both. */
  only(key: string, allowed: unknown, why: string): void {
    const v = this.json[key];
    if (v !== undefined && v !== allowed) this.problems.push(`${key} is ${JSON.stringify(v)}; Floe supports ${JSON.stringify(allowed)} only (${why})`);
  }
}

/**
 * Reads `config.json` of a HuggingFace Llama folder (`model_type: llama`, or `mistral` without a
 * sliding window shorter than the context): `hidden_size` → dim, `intermediate_size` → ffnDim,
 * `num_hidden_layers` → layers, `num_attention_heads` → heads, `vocab_size`,
 * `max_position_embeddings` → maxLength, `rms_norm_eps` → normEps, `rope_theta` → ropeTheta,
 * `tie_word_embeddings`; the rest is fixed (rmsnorm, rope, swiglu, no biases; `qwen2`: biases on
 * q/k/v only, `bias: 'qkv'`, and a sliding window only with `use_sliding_window`). Variants Floe's GPT
 * cannot express (another `hidden_act`, attention or MLP biases, a `rope_scaling` other than
 * `llama3`, `linear`, `yarn` or `dynamic` within the context (mapped onto `ropeScaling` by
 * {@link readHfRopeScaling}), an odd head size) are errors. `num_key_value_heads` → kvHeads (grouped-query
 * attention; default num_attention_heads); `head_dim` → headDim (default hidden_size /
 * num_attention_heads); `qwen3` → qkNorm (its `q_norm` / `k_norm`), no biases.
 *
 * @throws CheckpointError naming the file and every problem (field, value, what Floe supports).
 */
export async function readHfLlamaConfig(dir: string): Promise<HfLlamaConfig> {
  const { file, json } = await readHfConfigJson(dir);
  const f = new HfConfigFields(json);
  const modelType = json.model_type;
  if (!(HF_LLAMA_MODEL_TYPES as readonly unknown[]).includes(modelType)) {
    f.problems.push(`model_type is ${JSON.stringify(modelType)}; this reader takes ${HF_LLAMA_MODEL_TYPES.join(', ')}`);
  }
  const dim = f.positiveInt('hidden_size');
  const ffnDim = f.positiveInt('intermediate_size');
  const layers = f.positiveInt('num_hidden_layers');
  const heads = f.positiveInt('num_attention_heads');
  const kvHeads = f.positiveInt('num_key_value_heads', heads);
  const vocabSize = f.positiveInt('vocab_size');
  const maxLength = f.positiveInt('max_position_embeddings', 2048);
  const normEps = f.positive('rms_norm_eps', 1e-6);
  const ropeTheta = f.positive('rope_theta', 10000);
  const tie = f.boolean('tie_word_embeddings', false);
  f.only('hidden_act', 'silu', "Llama's gated MLP is down(silu(gate(x)) * up(x))");
  // Qwen2 always has q/k/v biases (no o_proj or MLP ones); its config has no attention_bias.
  const bias = modelType === 'qwen2' ? 'qkv' : false;
  const qkNorm = modelType === 'qwen3';
  f.only('attention_bias', false, modelType === 'qwen2' ? "Floe's Qwen2 has biases on q/k/v only, none on o_proj" : `Floe's ${modelType === 'qwen3' ? 'Qwen3' : 'Llama'} has no biases in q/k/v/o; Qwen2 folders (model_type qwen2) have q/k/v ones`);
  f.only('mlp_bias', false, "Floe's Llama has no biases in gate/up/down");
  const ropeScaling = readHfRopeScaling(json.rope_scaling, maxLength, f.problems);
  // Mistral's window applies when set; Qwen2's and Qwen3's only with use_sliding_window.
  const qwen = modelType === 'qwen2' || modelType === 'qwen3';
  if (modelType === 'mistral' || (qwen && json.use_sliding_window === true)) {
    const window = json.sliding_window;
    const which = qwen ? 'use_sliding_window is true and sliding_window' : 'sliding_window';
    if (window !== undefined && window !== null && !(typeof window === 'number' && window >= maxLength)) {
      f.problems.push(`${which} is ${JSON.stringify(window)} but max_position_embeddings is ${maxLength}; Floe attends over the whole context, so it supports ${qwen ? 'use_sliding_window false, or ' : ''}sliding_window null or at least max_position_embeddings`);
    }
  }
  // Llama and Mistral may set head_dim too; absent or null, it is hidden_size / num_attention_heads.
  const headDimSet = json.head_dim !== undefined && json.head_dim !== null;
  const headDim = headDimSet ? f.positiveInt('head_dim') : undefined;
  if (f.problems.length === 0) {
    if (headDim === undefined && dim % heads !== 0) f.problems.push(`num_attention_heads ${heads} does not divide hidden_size ${dim} and head_dim is not given; set head_dim, or use a head count that divides hidden_size`);
    const size = headDim ?? dim / heads;
    if (size % 2 !== 0) f.problems.push(`the head size (${headDim === undefined ? 'hidden_size / num_attention_heads' : 'head_dim'}) is ${size}; rotary positions need an even head size`);
    if (heads % kvHeads !== 0) {
      f.problems.push(`num_key_value_heads ${kvHeads} does not divide num_attention_heads ${heads}; Floe's grouped-query attention needs an equal group of query heads per key/value head`);
    }
  }
  if (f.problems.length > 0) throw new CheckpointError(`Cannot import Llama config '${file}': ${f.problems.join('; ')}.`);
  return {
    file,
    // A Qwen3 says both (a recipe contradicting them is named); other folders only a head size of their own.
    architecture: {
      vocabSize, maxLength, layers, heads, kvHeads, dim, ffnDim, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', tieEmbeddings: tie, bias, normEps, ropeTheta,
      ...(ropeScaling === undefined ? {} : { ropeScaling }),
      ...(qkNorm || (headDim !== undefined && headDim * heads !== dim) ? { headDim: headDim ?? dim / heads } : {}),
      ...(qkNorm ? { qkNorm } : {}),
    },
    fieldNames: {
      ...HF_LLAMA_FIELD_NAMES,
      headDim: headDimSet ? 'head_dim' : 'hidden_size / num_attention_heads, no head_dim given',
      qkNorm: `model_type ${String(modelType)}`,
      norm: `model_type ${String(modelType)}`,
      position: `model_type ${String(modelType)}`,
      activation: 'hidden_act',
      bias: modelType === 'qwen2' ? 'model_type qwen2' : 'attention_bias',
    },
  };
}

/**
 * The config.json keys Floe's settings come from in every Llama-family folder (Llama, Mistral, Qwen2/3, Gemma 3).
 * @internal
 */
export const HF_LLAMA_FIELD_NAMES = {
  vocabSize: 'vocab_size',
  maxLength: 'max_position_embeddings',
  layers: 'num_hidden_layers',
  heads: 'num_attention_heads',
  kvHeads: 'num_key_value_heads',
  dim: 'hidden_size',
  ffnDim: 'intermediate_size',
  tieEmbeddings: 'tie_word_embeddings',
  normEps: 'rms_norm_eps',
  ropeTheta: 'rope_theta',
  ropeScaling: 'rope_scaling',
} as const;
