/**
 * A tiny BPE tokenizer.json (Metaspace pre-tokenizer, like SentencePiece models) that knows the
 * words "hello" and "world" plus their letters, with <unk>, <s>, </s>, <pad> as added tokens.
 */
export function tinyTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {
    '<unk>': 0, '<s>': 1, '</s>': 2, '<pad>': 3, '▁': 4, h: 5, e: 6, l: 7, o: 8, w: 9, r: 10, d: 11,
    '▁h': 12, '▁he': 13, ll: 14, '▁hell': 15, '▁hello': 16, '▁w': 17, '▁wo': 18, '▁wor': 19, '▁worl': 20, '▁world': 21,
  };
  const merges = ['▁ h', '▁h e', 'l l', '▁he ll', '▁hell o', '▁ w', '▁w o', '▁wo r', '▁wor l', '▁worl d'];
  const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>'), added(3, '<pad>')],
    normalizer: null,
    pre_tokenizer: metaspace,
    post_processor: null,
    decoder: metaspace,
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}
