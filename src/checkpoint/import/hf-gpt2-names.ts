/** How one tensor of a HuggingFace GPT-2 checkpoint maps onto Floe's GPT. */
export type HfGpt2Mapping =
  /** Copy into Floe parameter `name` (`transpose`: PyTorch `nn.Linear` `[out, in]` → Floe `[in, out]`). */
  | {
      /** Discriminant. */
      kind: 'param';
      /** Floe parameter name. */
      name: string;
      /** Transpose `[out, in]` to `[in, out]` on the way in. */
      transpose: boolean;
    }
  /** A buffer or duplicate that carries no weights of its own (causal-mask buffers). */
  | {
      /** Discriminant. */
      kind: 'ignore';
    }
  /** The separate LM head; used only when embeddings are not tied. */
  | {
      /** Discriminant. */
      kind: 'lm_head';
    }
  /** Not a GPT-2 tensor. */
  | {
      /** Discriminant. */
      kind: 'unknown';
    };

const BLOCK_PARTS: Record<string, string> = {
  'ln_1.weight': 'norm1.weight',
  'ln_1.bias': 'norm1.bias',
  'attn.c_attn.weight': 'attn.qkv.weight',
  'attn.c_attn.bias': 'attn.qkv.bias',
  'attn.c_proj.weight': 'attn.out.weight',
  'attn.c_proj.bias': 'attn.out.bias',
  'ln_2.weight': 'norm2.weight',
  'ln_2.bias': 'norm2.bias',
  'mlp.c_fc.weight': 'mlp.up.weight',
  'mlp.c_fc.bias': 'mlp.up.bias',
  'mlp.c_proj.weight': 'mlp.down.weight',
  'mlp.c_proj.bias': 'mlp.down.bias',
};

const TOP_LEVEL: Record<string, string> = {
  'wte.weight': 'embed.tokens.weight',
  'wpe.weight': 'embed.positions.weight',
  'ln_f.weight': 'norm.weight',
  'ln_f.bias': 'norm.bias',
};

/**
 * Maps a HuggingFace GPT-2 tensor name (optionally prefixed `transformer.`) to Floe's naming.
 * GPT-2's `Conv1D` stores weights `[in, out]`, the same as Floe, so block weights copy as they
 * are; `c_attn`'s columns are `[q | k | v]`, as in Floe's `attn.qkv`.
 */
export function mapHfGpt2Name(hfName: string): HfGpt2Mapping {
  if (hfName === 'lm_head.weight') return { kind: 'lm_head' };
  const name = hfName.startsWith('transformer.') ? hfName.slice('transformer.'.length) : hfName;
  const top = TOP_LEVEL[name];
  if (top !== undefined) return { kind: 'param', name: top, transpose: false };
  const m = /^h\.(\d+)\.(.+)$/.exec(name);
  if (m === null) return { kind: 'unknown' };
  if (m[2] === 'attn.bias' || m[2] === 'attn.masked_bias') return { kind: 'ignore' };
  const part = BLOCK_PARTS[m[2]];
  return part === undefined ? { kind: 'unknown' } : { kind: 'param', name: `blocks.${Number(m[1])}.${part}`, transpose: false };
}

/** The HuggingFace GPT-2 name of a Floe GPT parameter (without the `transformer.` prefix), if it has one. */
export function floeToHfGpt2Name(floeName: string): string | undefined {
  if (floeName === 'lm_head.weight') return 'lm_head.weight';
  for (const [hf, floe] of Object.entries(TOP_LEVEL)) if (floe === floeName) return hf;
  const m = /^blocks\.(\d+)\.(.+)$/.exec(floeName);
  if (m === null) return undefined;
  for (const [hf, floe] of Object.entries(BLOCK_PARTS)) if (floe === m[2]) return `h.${m[1]}.${hf}`;
  return undefined;
}
