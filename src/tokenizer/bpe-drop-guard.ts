import type { Tokenizer as HfCoreTokenizer } from '@huggingface/tokenizers';

/** What the guard uses of @huggingface/tokenizers' BPE model (all declared in its types). */
interface BpeModel {
  bpe(token: string): string[];
  encode(tokens: string[]): string[];
  tokens_to_ids: Map<string, number>;
  unk_token?: string | null;
  byte_fallback?: boolean;
  ignore_merges?: boolean;
}

function isBpeModel(model: unknown): model is BpeModel {
  const m = model as Partial<BpeModel> | undefined;
  return typeof m?.bpe === 'function' && typeof m.encode === 'function' && m.tokens_to_ids instanceof Map;
}

/**
 * A BPE model with no `unk_token` leaves out every piece that is not in its vocabulary (and not
 * covered by byte fallback) without a trace, as HuggingFace tokenizers does: training data would
 * silently lose characters. This wraps such a model's `encode` to record the pieces it leaves
 * out; `take()` returns and clears them. Undefined for other models, which cannot drop text.
 */
export function guardBpeDrops(core: HfCoreTokenizer): { take(): string[] } | undefined {
  const model = (core as unknown as { model?: unknown }).model;
  if (!isBpeModel(model) || (model.unk_token ?? null) !== null) return undefined;
  const vocab = model.tokens_to_ids;
  const covered = (piece: string): boolean => {
    if (vocab.has(piece)) return true;
    if (model.byte_fallback !== true) return false;
    const bytes = Buffer.from(piece, 'utf8');
    return Array.from(bytes).every((b) => vocab.has(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
  };
  let dropped: string[] = [];
  const encode = model.encode.bind(model);
  model.encode = (tokens: string[]): string[] => {
    for (const token of tokens) {
      if (model.ignore_merges === true && vocab.has(token)) continue;
      // bpe() caches its result, so encode's own call below costs a lookup.
      for (const piece of model.bpe(token)) if (!covered(piece)) dropped.push(piece);
    }
    return encode(tokens);
  };
  return {
    take: () => {
      const out = dropped;
      dropped = [];
      return out;
    },
  };
}
