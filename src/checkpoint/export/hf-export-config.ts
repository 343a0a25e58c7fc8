import { CheckpointError } from '../../errors';
import { gptHeadDim, ResolvedGptOptions } from '../../model/gpt-options';
import { hfRopeScalingJson } from './hf-export-rope-scaling';

/** The HuggingFace architectures a Floe GPT exports as (`config.json`'s `model_type`). */
export type HfExportModelType = 'gpt2' | 'llama' | 'qwen2' | 'qwen3' | 'gemma3_text';

/** The GPT settings each HuggingFace architecture needs, for messages and docs. */
export const HF_EXPORT_ARCHITECTURES =
  'gpt2 (norm layernorm, position learned, activation gelu, bias true), llama (norm rmsnorm, position rope, activation swiglu, bias false) ' +
  "or qwen2 (as llama with bias 'qkv' and headDim dim / heads), or qwen3 (as llama with qkNorm true); llama and qwen3 take any headDim; " +
  'gemma3_text (norm rmsnorm, position rope, activation geglu, bias false, qkNorm true, normOffset 1, sandwichNorm true, embedScale √dim; any attnScale, slidingWindow with slidingWindowPattern, ropeLocalTheta)';

/** Token ids written into `config.json` and `generation_config.json` (from the run's tokenizer). */
export interface HfExportTokenIds {
  /** Begin-of-sequence id. */
  bosId: number;
  /** End-of-sequence id. */
  eosId: number;
  /** Padding id. */
  padId: number;
}

/**
 * The HuggingFace architecture computing what a GPT with these options computes: GPT-2 style →
 * `gpt2`, Llama style → `llama`, Llama style with q/k/v biases → `qwen2`, Llama style with
 * per-head q/k norms (`qkNorm`) → `qwen3`; Gemma 3's settings (geglu, `1 + w` norms, sandwich norms,
 * q/k norms, √dim embeddings) → `gemma3_text`. Any Gemma setting elsewhere is refused (no other
 * architecture computes it).
 *
 * @throws CheckpointError naming the settings without an HF architecture and the valid combinations.
 */
export function hfExportModelType(o: ResolvedGptOptions): HfExportModelType {
  const settings = `model.norm ${o.norm}, model.position ${o.position}, model.activation ${o.activation}, model.bias ${String(o.bias)}`;
  const refuse = (why: string): never => {
    throw new CheckpointError(`Cannot export the model as a HuggingFace folder (--format hf / checkpoint type hf): ${why}. HuggingFace architectures Floe writes: ${HF_EXPORT_ARCHITECTURES}.`);
  };
  const gemma = gemmaSettings(o);
  if (o.activation === 'geglu' || gemma.length > 0) {
    const want: [string, boolean][] = [
      ['model.norm rmsnorm', o.norm === 'rmsnorm'],
      ['model.position rope', o.position === 'rope'],
      ['model.activation geglu', o.activation === 'geglu'],
      ['model.bias false', o.bias === false],
      ['model.qkNorm true', o.qkNorm === true],
      ['model.normOffset 1', o.normOffset === 1],
      ['model.sandwichNorm true', o.sandwichNorm === true],
      [`model.embedScale √dim (${Math.sqrt(o.dim)})`, o.embedScale === Math.sqrt(o.dim)],
    ];
    const missing = want.filter(([, ok]) => !ok).map(([what]) => what);
    if (missing.length > 0) refuse(`it has Gemma settings (${[...(o.activation === 'geglu' ? ['model.activation geglu'] : []), ...gemma].join(', ')}) but not all of Gemma 3's: it also needs ${missing.join(', ')}`);
    return 'gemma3_text';
  }
  if (o.norm === 'layernorm' && o.position === 'learned' && o.activation === 'gelu') {
    if (o.bias !== true) refuse(`${settings}: GPT-2 has biases on every linear layer, so it needs model.bias true`);
    // HF's GPT-2 has no grouped-query attention.
    if (o.kvHeads !== o.heads) refuse(`model.kvHeads ${o.kvHeads} of model.heads ${o.heads}: GPT-2 (layernorm, learned positions, gelu) has no grouped-query attention, so kvHeads must equal heads`);
    if (o.headDim !== undefined) refuse(`model.headDim ${o.headDim} is not model.dim / model.heads (${o.dim / o.heads}): GPT-2's head size is always n_embd / n_head`);
    if (o.qkNorm === true) refuse('model.qkNorm true: GPT-2 has no per-head q/k norms (Qwen3, a Llama-style model, has them)');
    return 'gpt2';
  }
  if (o.norm === 'rmsnorm' && o.position === 'rope' && o.activation === 'swiglu') {
    if (o.bias === false) return o.qkNorm === true ? 'qwen3' : 'llama';
    if (o.bias === 'qkv') {
      if (o.qkNorm === true) refuse("model.bias 'qkv' with model.qkNorm true: Qwen2 has q/k/v biases but no q/k norms, Qwen3 q/k norms but no biases");
      if (o.headDim !== undefined) refuse(`model.bias 'qkv' with model.headDim ${o.headDim} (not dim / heads = ${o.dim / o.heads}): Qwen2's head size is always hidden_size / num_attention_heads`);
      return 'qwen2';
    }
    refuse(`${settings}: a Llama-style model with biases on every linear layer (bias true) has no HuggingFace architecture (Qwen2 has q/k/v biases only)`);
  }
  return refuse(`its settings (${settings}) match no HuggingFace architecture`);
}

/** The Gemma settings `o` records, as `model.key value` for messages. */
function gemmaSettings(o: ResolvedGptOptions): string[] {
  const keys = ['normOffset', 'embedScale', 'sandwichNorm', 'attnScale', 'slidingWindow', 'slidingWindowPattern', 'ropeLocalTheta'] as const;
  return keys.filter((key) => o[key] !== undefined).map((key) => `model.${key} ${JSON.stringify(o[key])}`);
}

/** HF's `query_pre_attn_scalar` of an attention scale `s^−1/2` (an integer when it is one up to rounding, so a re-import gives `attnScale` back). */
function queryPreAttnScalar(o: ResolvedGptOptions): number {
  if (o.attnScale === undefined) return gptHeadDim(o);
  const s = 1 / (o.attnScale * o.attnScale);
  return Math.abs(s - Math.round(s)) <= 1e-9 * s ? Math.round(s) : s;
}

/** The keys every Llama-family config.json ends with: dropout, init, tying, special ids, dtype. */
function llamaTrailerJson(o: ResolvedGptOptions, tokens: Record<string, number | undefined>): Record<string, unknown> {
  return {
    attention_dropout: o.dropout,
    initializer_range: o.initStd,
    tie_word_embeddings: o.tieEmbeddings,
    ...tokens,
    torch_dtype: 'float32',
    use_cache: true,
  };
}

/** The shape keys every Llama-family config.json shares (Llama, Qwen2/3, Gemma 3). */
function llamaShapeJson(o: ResolvedGptOptions): Record<string, number> {
  return {
    vocab_size: o.vocabSize,
    hidden_size: o.dim,
    intermediate_size: o.ffnDim,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    num_key_value_heads: o.kvHeads,
  };
}

/** `config.json` of a `gemma3_text` folder (Gemma3ForCausalLM): the layer types spelled out and as a pattern. */
function gemma3ConfigJson(o: ResolvedGptOptions, tokens: Record<string, number | undefined>): Record<string, unknown> {
  const pattern = o.slidingWindowPattern;
  const layerTypes = Array.from({ length: o.layers }, (_, i) => (pattern !== undefined && (i + 1) % pattern !== 0 ? 'sliding_attention' : 'full_attention'));
  return {
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    ...llamaShapeJson(o),
    head_dim: gptHeadDim(o),
    hidden_activation: 'gelu_pytorch_tanh',
    max_position_embeddings: o.maxLength,
    rms_norm_eps: o.normEps,
    rope_theta: o.ropeTheta,
    rope_local_base_freq: o.ropeLocalTheta ?? o.ropeTheta,
    rope_scaling: hfRopeScalingJson(o.ropeScaling, o.maxLength),
    query_pre_attn_scalar: queryPreAttnScalar(o),
    // No local layer: every layer full, the window unused.
    sliding_window: o.slidingWindow ?? o.maxLength,
    sliding_window_pattern: pattern ?? 1,
    layer_types: layerTypes,
    attention_bias: false,
    attn_logit_softcapping: null,
    final_logit_softcapping: null,
    ...llamaTrailerJson(o, tokens),
  };
}

/** `config.json` of the HF folder: the fields transformers' config class (and the Floe importers) read. */
export function hfExportConfigJson(o: ResolvedGptOptions, modelType: HfExportModelType, ids: HfExportTokenIds | undefined): Record<string, unknown> {
  const tokens = ids === undefined ? {} : { bos_token_id: ids.bosId, eos_token_id: ids.eosId, pad_token_id: ids.padId };
  if (modelType === 'gemma3_text') return gemma3ConfigJson(o, tokens);
  if (modelType === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: o.vocabSize,
      n_positions: o.maxLength,
      n_ctx: o.maxLength,
      n_embd: o.dim,
      n_layer: o.layers,
      n_head: o.heads,
      n_inner: o.ffnDim,
      // Floe's GELU is the tanh form.
      activation_function: 'gelu_new',
      layer_norm_epsilon: o.normEps,
      resid_pdrop: o.dropout,
      embd_pdrop: o.dropout,
      attn_pdrop: o.dropout,
      initializer_range: o.initStd,
      scale_attn_weights: true,
      tie_word_embeddings: o.tieEmbeddings,
      ...tokens,
      torch_dtype: 'float32',
      use_cache: true,
    };
  }
  const architectures: Record<string, string> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' };
  return {
    architectures: [architectures[modelType]],
    model_type: modelType,
    ...llamaShapeJson(o),
    ...(modelType === 'qwen2' ? {} : { head_dim: gptHeadDim(o) }),
    hidden_act: 'silu',
    max_position_embeddings: o.maxLength,
    rms_norm_eps: o.normEps,
    rope_theta: o.ropeTheta,
    rope_scaling: hfRopeScalingJson(o.ropeScaling, o.maxLength),
    // Qwen2's q/k/v biases are implied by its model_type; Llama's switches stay off.
    ...(modelType === 'llama' ? { attention_bias: false, mlp_bias: false } : {}),
    ...(modelType === 'qwen3' ? { attention_bias: false } : {}),
    ...(modelType === 'llama' ? {} : { use_sliding_window: false, sliding_window: null }),
    ...llamaTrailerJson(o, tokens),
  };
}

/** `generation_config.json`: the special ids `generate()` starts, stops and pads with. */
export function hfGenerationConfigJson(ids: HfExportTokenIds): Record<string, unknown> {
  return { _from_model_config: true, bos_token_id: ids.bosId, eos_token_id: ids.eosId, pad_token_id: ids.padId };
}
