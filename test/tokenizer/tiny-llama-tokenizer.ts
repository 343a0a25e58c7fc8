import * as fs from 'fs';
import * as path from 'path';

/** Options of {@link tinyLlamaTokenizerJson}. */
export interface TinyLlamaTokenizerOptions {
  /**
   * `sequence` (default): the decoder HF writes for Llama/Mistral (Replace ▁ → space,
   * ByteFallback, Fuse, Strip one leading space); `metaspace`: a Metaspace decoder.
   */
  decoder?: 'sequence' | 'metaspace';
}

/**
 * A tiny SentencePiece-style BPE tokenizer.json as HF converts Llama's (legacy: false): <unk>,
 * <s>, </s> as ids 0-2, byte-fallback tokens for '\n', '!' and 'é' (C3 A9) only, letters of
 * "hello world" and their merges, a Metaspace pre-tokenizer (prepend_scheme first) and a
 * TemplateProcessing post-processor that prepends <s> (ids 0..28, vocabulary 29).
 */
export function tinyLlamaTokenizerJson(options: TinyLlamaTokenizerOptions = {}): Record<string, unknown> {
  const pieces = [
    '<unk>', '<s>', '</s>', '<0x0A>', '<0x21>', '<0xC3>', '<0xA9>', '▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', 'a', 't',
    '▁h', '▁he', 'll', '▁hell', '▁hello', '▁w', '▁wo', '▁wor', '▁worl', '▁world', '▁a', '▁t',
  ];
  const vocab = Object.fromEntries(pieces.map((p, i) => [p, i]));
  const merges = ['▁ h', '▁h e', 'l l', '▁he ll', '▁hell o', '▁ w', '▁w o', '▁wo r', '▁wor l', '▁worl d', '▁ a', '▁ t'];
  const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false };
  const sequence = {
    type: 'Sequence',
    decoders: [
      { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
      { type: 'ByteFallback' },
      { type: 'Fuse' },
      { type: 'Strip', content: ' ', start: 1, stop: 0 },
    ],
  };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer: null,
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: options.decoder === 'metaspace' ? metaspace : sequence,
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
}

/** Llama's tokenizer_config.json essentials: bos/eos/unk, add_bos_token, no pad token. */
export function tinyLlamaTokenizerConfig(): Record<string, unknown> {
  return { add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', pad_token: null, legacy: false, model_max_length: 64, tokenizer_class: 'LlamaTokenizer' };
}

/** Writes tokenizer.json and tokenizer_config.json of the tiny Llama tokenizer into `dir`. */
export function writeTinyLlamaTokenizer(dir: string, options: TinyLlamaTokenizerOptions = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyLlamaTokenizerJson(options)));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tinyLlamaTokenizerConfig()));
}
