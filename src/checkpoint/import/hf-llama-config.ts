import { CheckpointError } from '../../errors';
import { GptArchitecture, GptArchitectureKey } from './gpt-source';
import { readHfConfigJson } from './hf-folder';
import { readHfRopeScaling } from './hf-rope-scaling';

/**
 * `model_type`s read as Llama: Mistral is Llama's maths plus an optional sliding window, Qwen2
 * adds biases on the q/k/v projections (and an optional sliding window).
 */
export const HF_LLAMA_MODEL_TYPES = ['llama', 'mistral', 'qwen2'] as const;

/** A HuggingFace Llama (or Mistral) `config.json`, mapped onto Floe's GPT options. */
export interface HfLlamaConfig {
  /** The config file read. */
  file: string;
  /** Floe architecture options. */
  architecture: GptArchitecture;
  /** HF key of each option, for messages. */
  fieldNames: Partial<Record<GptArchitectureKey, string>>;
}

/** Reads fields of one config object, collecting every problem rather than stopping at the first. */
class Fields {
  readonly problems: string[] = [];
  constructor(private readonly json: Record<string, unknown>) {}

  positiveInt(key: string, fallback?: number): number {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) this.problems.push(`${key} is ${JSON.stringify(v)}, expected a positive integer`);
    return v as number;
  }

  positive(key: string, fallback: number): number {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.problems.push(`${key} is ${JSON.stringify(v)}, expected a positive number`);
    return v as number;
  }

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
 * {@link readHfRopeScaling}), a `head_dim`
 * other than hidden_size / heads) are errors. `num_key_value_heads` → kvHeads (grouped-query
 * attention; default num_attention_heads).
 *
 * @throws CheckpointError naming the file and every problem (field, value, what Floe supports).
 */
export async function readHfLlamaConfig(dir: string): Promise<HfLlamaConfig> {
  const { file, json } = await readHfConfigJson(dir);
  const f = new Fields(json);
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
  f.only('attention_bias', false, modelType === 'qwen2' ? "Floe's Qwen2 has biases on q/k/v only, none on o_proj" : "Floe's Llama has no biases in q/k/v/o; Qwen2 folders (model_type qwen2) have q/k/v ones");
  f.only('mlp_bias', false, "Floe's Llama has no biases in gate/up/down");
  const ropeScaling = readHfRopeScaling(json.rope_scaling, maxLength, f.problems);
  // Mistral's window applies when set; Qwen2's only with use_sliding_window.
  if (modelType === 'mistral' || (modelType === 'qwen2' && json.use_sliding_window === true)) {
    const window = json.sliding_window;
    const which = modelType === 'qwen2' ? 'use_sliding_window is true and sliding_window' : 'sliding_window';
    if (window !== undefined && window !== null && !(typeof window === 'number' && window >= maxLength)) {
      f.problems.push(`${which} is ${JSON.stringify(window)} but max_position_embeddings is ${maxLength}; Floe attends over the whole context, so it supports ${modelType === 'qwen2' ? 'use_sliding_window false, or ' : ''}sliding_window null or at least max_position_embeddings`);
    }
  }
  if (f.problems.length === 0) {
    if (dim % heads !== 0) f.problems.push(`num_attention_heads ${heads} does not divide hidden_size ${dim}; Floe needs head size = hidden_size / num_attention_heads`);
    const headDim = json.head_dim;
    if (headDim !== undefined && headDim !== null && headDim !== dim / heads) {
      f.problems.push(`head_dim is ${JSON.stringify(headDim)} but hidden_size / num_attention_heads is ${dim / heads}; Floe supports head_dim equal to hidden_size / num_attention_heads only`);
    }
    if (heads % kvHeads !== 0) {
      f.problems.push(`num_key_value_heads ${kvHeads} does not divide num_attention_heads ${heads}; Floe's grouped-query attention needs an equal group of query heads per key/value head`);
    }
  }
  if (f.problems.length > 0) throw new CheckpointError(`Cannot import Llama config '${file}': ${f.problems.join('; ')}.`);
  return {
    file,
    architecture: { vocabSize, maxLength, layers, heads, kvHeads, dim, ffnDim, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', tieEmbeddings: tie, bias, normEps, ropeTheta, ...(ropeScaling === undefined ? {} : { ropeScaling }) },
    fieldNames: {
      vocabSize: 'vocab_size',
      maxLength: 'max_position_embeddings',
      layers: 'num_hidden_layers',
      heads: 'num_attention_heads',
      kvHeads: 'num_key_value_heads',
      dim: 'hidden_size',
      ffnDim: 'intermediate_size',
      norm: `model_type ${String(modelType)}`,
      position: `model_type ${String(modelType)}`,
      activation: 'hidden_act',
      tieEmbeddings: 'tie_word_embeddings',
      bias: modelType === 'qwen2' ? 'model_type qwen2' : 'attention_bias',
      normEps: 'rms_norm_eps',
      ropeTheta: 'rope_theta',
      ropeScaling: 'rope_scaling',
    },
  };
}
