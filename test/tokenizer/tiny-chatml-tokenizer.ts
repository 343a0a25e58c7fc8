import * as fs from 'fs';
import * as path from 'path';

/** A ChatML chat template as Qwen-style models ship it (without the default system prompt). */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the rest are shifted past 255. */
export function byteChars(): string[] {
  const chars: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    chars.push(String.fromCharCode(printable ? b : 256 + shifted++));
  }
  return chars;
}

/**
 * A tiny byte-level BPE tokenizer.json (GPT-2 style: the 256 byte tokens and a few merges that
 * make "hello", " world", "user" and "assistant" whole tokens) with ChatML's `<|im_start|>`,
 * `<|im_end|>` and `<|endoftext|>` as special added tokens.
 */
export function tinyChatmlTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = i));
  const merges = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'l d', 'Ġwor ld', 'u s', 'e r', 'us er', 'a s', 's i', 'as si', 's t', 'assi st', 'a n', 'an t', 'assist ant'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  const added = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'].map((content) => {
    const id = Object.keys(vocab).length;
    vocab[content] = id;
    return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

/** tokenizer_config.json of the tiny ChatML tokenizer: eos `<|im_end|>`, pad `<|endoftext|>`, no bos, and `chat_template` unless it is null. */
export function tinyChatmlConfig(chatTemplate: string | null = CHATML_TEMPLATE): Record<string, unknown> {
  return { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', bos_token: null, ...(chatTemplate === null ? {} : { chat_template: chatTemplate }) };
}

/** Writes tokenizer.json and tokenizer_config.json (see {@link tinyChatmlConfig}) into `dir`; returns `dir`. */
export function writeTinyChatmlTokenizer(dir: string, chatTemplate: string | null = CHATML_TEMPLATE): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyChatmlTokenizerJson()));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tinyChatmlConfig(chatTemplate)));
  return dir;
}
