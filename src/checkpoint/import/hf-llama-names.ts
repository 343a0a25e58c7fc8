/** Which column block of Floe's packed `attn.qkv.weight` a HF projection fills. */
export type QkvPart = 'q' | 'k' | 'v';

/** How one tensor of a HuggingFace Llama checkpoint maps onto Floe's GPT. */
export type HfLlamaMapping =
  /** Copy into Floe parameter `name`, transposing PyTorch `nn.Linear` `[out, in]` to Floe's `[in, out]` when `transpose`. */
  | {
      /** Discriminant. */
      kind: 'param';
      /** Floe parameter name. */
      name: string;
      /** Transpose `[out, in]` to `[in, out]` on the way in. */
      transpose: boolean;
    }
  /** One of q/k/v_proj: transposed into its column block of `blocks.N.attn.qkv.weight` (or its block of `attn.qkv.bias`). */
  | {
      /** Discriminant. */
      kind: 'qkv';
      /** Floe parameter name (`blocks.N.attn.qkv.weight` or `.bias`). */
      name: string;
      /** Which block of columns. */
      part: QkvPart;
    }
  /** A buffer that carries no weights (`rotary_emb.inv_freq`, recomputed from rope_theta). */
  | {
      /** Discriminant. */
      kind: 'ignore';
    }
  /** The separate LM head; used only when embeddings are not tied. */
  | {
      /** Discriminant. */
      kind: 'lm_head';
    }
  /** Not a Llama tensor. */
  | {
      /** Discriminant. */
      kind: 'unknown';
    };

/** Block tensors copied whole: HF suffix → Floe suffix and whether it is an `nn.Linear` weight. */
const BLOCK_PARTS: Record<string, [string, boolean]> = {
  'input_layernorm.weight': ['norm1.weight', false],
  'self_attn.o_proj.weight': ['attn.out.weight', true],
  'post_attention_layernorm.weight': ['norm2.weight', false],
  // Qwen3's per-head RMSNorms of q and k ([head_dim], shared by the heads).
  'self_attn.q_norm.weight': ['attn.qNorm.weight', false],
  'self_attn.k_norm.weight': ['attn.kNorm.weight', false],
  'mlp.gate_proj.weight': ['mlp.gate.weight', true],
  'mlp.up_proj.weight': ['mlp.up.weight', true],
  'mlp.down_proj.weight': ['mlp.down.weight', true],
};

/**
 * Gemma 3's four norms a layer (`sandwichNorm`): `post_attention_layernorm` normalises the
 * attention output (Llama's is the pre-MLP norm), `pre_feedforward_layernorm` is the pre-MLP norm.
 */
const GEMMA_BLOCK_PARTS: Record<string, [string, boolean]> = {
  ...Object.fromEntries(Object.entries(BLOCK_PARTS).filter(([hf]) => hf !== 'post_attention_layernorm.weight')),
  'post_attention_layernorm.weight': ['postAttnNorm.weight', false],
  'pre_feedforward_layernorm.weight': ['norm2.weight', false],
  'post_feedforward_layernorm.weight': ['postMlpNorm.weight', false],
};

/** Options of {@link mapHfLlamaName} and {@link floeToHfLlamaNames}. */
export interface HfLlamaNameOptions {
  /** Gemma 3's four layer norms (post_attention_layernorm on the attention output, pre_ and post_feedforward_layernorm) instead of Llama's two. Default false. */
  gemma?: boolean;
}

const QKV: Record<string, QkvPart> = { 'self_attn.q_proj.weight': 'q', 'self_attn.k_proj.weight': 'k', 'self_attn.v_proj.weight': 'v' };

/** Qwen2's q/k/v biases: packed into `attn.qkv.bias` as the weights are into `attn.qkv.weight`. */
const QKV_BIAS: Record<string, QkvPart> = { 'self_attn.q_proj.bias': 'q', 'self_attn.k_proj.bias': 'k', 'self_attn.v_proj.bias': 'v' };

const TOP_LEVEL: Record<string, string> = {
  'embed_tokens.weight': 'embed.tokens.weight',
  'norm.weight': 'norm.weight',
};

/**
 * Maps a HuggingFace Llama tensor name (`LlamaForCausalLM`'s `model.` prefix optional) to Floe's
 * naming: `embed_tokens` → `embed.tokens`, `layers.N.input_layernorm` → `blocks.N.norm1`,
 * `self_attn.{q,k,v}_proj` → a column block of `blocks.N.attn.qkv` (weights, and Qwen2's biases), `o_proj` → `attn.out`,
 * `post_attention_layernorm` → `norm2`, Qwen3's `self_attn.{q,k}_norm` → `attn.{q,k}Norm`, `mlp.{gate,up,down}_proj` → `mlp.{gate,up,down}`,
 * `norm` → `norm`, `lm_head` → `lm_head` (all linear weights transposed). With `gemma`, Gemma 3's
 * `post_attention_layernorm` → `postAttnNorm`, `pre_feedforward_layernorm` → `norm2`,
 * `post_feedforward_layernorm` → `postMlpNorm`.
 */
export function mapHfLlamaName(hfName: string, options: HfLlamaNameOptions = {}): HfLlamaMapping {
  if (hfName === 'lm_head.weight') return { kind: 'lm_head' };
  const name = hfName.startsWith('model.') ? hfName.slice('model.'.length) : hfName;
  const top = TOP_LEVEL[name];
  if (top !== undefined) return { kind: 'param', name: top, transpose: false };
  const m = /^layers\.(\d+)\.(.+)$/.exec(name);
  if (m === null) return { kind: 'unknown' };
  const block = `blocks.${Number(m[1])}`;
  if (m[2] === 'self_attn.rotary_emb.inv_freq') return { kind: 'ignore' };
  const qkv = QKV[m[2]];
  if (qkv !== undefined) return { kind: 'qkv', name: `${block}.attn.qkv.weight`, part: qkv };
  const qkvBias = QKV_BIAS[m[2]];
  if (qkvBias !== undefined) return { kind: 'qkv', name: `${block}.attn.qkv.bias`, part: qkvBias };
  const part = (options.gemma === true ? GEMMA_BLOCK_PARTS : BLOCK_PARTS)[m[2]];
  return part === undefined ? { kind: 'unknown' } : { kind: 'param', name: `${block}.${part[0]}`, transpose: part[1] };
}

/** The HuggingFace Llama name(s) of a Floe GPT parameter (with the `model.` prefix), for messages. */
export function floeToHfLlamaNames(floeName: string, options: HfLlamaNameOptions = {}): string[] {
  if (floeName === 'lm_head.weight') return ['lm_head.weight'];
  for (const [hf, floe] of Object.entries(TOP_LEVEL)) if (floe === floeName) return [`model.${hf}`];
  const m = /^blocks\.(\d+)\.(.+)$/.exec(floeName);
  if (m === null) return [];
  if (m[2] === 'attn.qkv.weight') return Object.keys(QKV).map((hf) => `model.layers.${m[1]}.${hf}`);
  if (m[2] === 'attn.qkv.bias') return Object.keys(QKV_BIAS).map((hf) => `model.layers.${m[1]}.${hf}`);
  for (const [hf, [floe]] of Object.entries(options.gemma === true ? GEMMA_BLOCK_PARTS : BLOCK_PARTS)) if (floe === m[2]) return [`model.layers.${m[1]}.${hf}`];
  return [];
}
