import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Tokenizer as HfCoreTokenizer } from '@huggingface/tokenizers';
import { tokenizeRecord } from '../../src/data';
import { ByteTokenizer, HfTokenizer } from '../../src/tokenizer';
import { tinyTokenizerJson } from './tiny-hf-tokenizer';

/** One line of about `chars` characters: known words, unknown letters and a run of unknowns longer than a model batch. */
function longLine(chars: number): string {
  const words = ['hello', 'world', 'hold', 'xyz', 'lower', 'dew', 'hhh', 'ol'];
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < chars; i++) {
    const w = i === 1000 ? 'xyz'.repeat(5000) : words[(i * 7 + (i >> 3)) % words.length];
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(' ');
}

/** The library's own whole-text encode (the path HfTokenizer took before it streamed). */
function libraryIds(json: Record<string, unknown>, text: string): number[] {
  return new HfCoreTokenizer(json, {}).encode(text, { add_special_tokens: false }).ids;
}

describe('Tokenizing one long line', () => {
  const line = longLine(600_000);

  it('HfTokenizer gives the ids of the library encoding the whole line at once', () => {
    const json = tinyTokenizerJson();
    assert.deepEqual(HfTokenizer.fromJson(json).encode(line), libraryIds(json, line));
  });

  it('HfTokenizer fuses an unknown run that crosses a model batch as the library does (fuse_unk)', () => {
    const base = tinyTokenizerJson();
    const json = { ...base, model: { ...(base.model as Record<string, unknown>), fuse_unk: true } };
    const ids = HfTokenizer.fromJson(json).encode(line);
    assert.deepEqual(ids, libraryIds(json, line));
    assert.ok(ids.length < HfTokenizer.fromJson(base).encode(line).length - 14_000, 'the 15,000 unknown letters became one <unk>');
  });

  it('HfTokenizer gives the same ids for a line as for its pieces cut before spaces', () => {
    const tok = HfTokenizer.fromJson(tinyTokenizerJson());
    const text = longLine(3_000_000);
    const pieces: number[] = [];
    // Metaspace marks each piece's leading space as ▁, as in the whole line.
    for (let at = 0; at < text.length; ) {
      const cut = text.indexOf(' ', at + 50_000);
      const end = cut < 0 ? text.length : cut;
      for (const id of tok.encode(text.slice(at, end))) pieces.push(id);
      at = end;
    }
    assert.deepEqual(tok.encode(text), pieces);
  });

  it('HfTokenizer cuts long BPE words only where no merge can cross: same ids as the library for random merges', () => {
    // Seeded random vocabularies whose merges join ▁, letters and a surrogate pair in any order,
    // on texts with words of thousands of characters (rare spaces and added tokens).
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = ['▁', 'a', 'b', 'c', 'd', '😀'];
    const preTokenizers = [null, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true }, { type: 'Whitespace' }, { type: 'ByteLevel', add_prefix_space: true, use_regex: true }];
    for (let trial = 0; trial < 16; trial++) {
      const vocab: Record<string, number> = { '<unk>': 0, '</s>': 1 };
      alphabet.forEach((c, i) => (vocab[c] = i + 2));
      const tokens = [...alphabet];
      const merges: string[] = [];
      for (let m = 0; m < 25; m++) {
        const [l, r] = [tokens[rnd(tokens.length)], tokens[rnd(tokens.length)]];
        if (vocab[l + r] !== undefined || (l + r).length > 8) continue;
        vocab[l + r] = Object.keys(vocab).length;
        merges.push(`${l} ${r}`);
        tokens.push(l + r);
      }
      const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
      const json = {
        ...tinyTokenizerJson(),
        added_tokens: [added(0, '<unk>'), added(1, '</s>')],
        normalizer: trial % 2 === 1 ? { type: 'Lowercase' } : null,
        pre_tokenizer: preTokenizers[trial % preTokenizers.length],
        decoder: null,
        model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: trial % 3 === 0, byte_fallback: false, vocab, merges },
      };
      const chars = ['A', '.', 'a', 'b', 'c', 'd', '😀', 'x', '▁'];
      let text = '';
      for (let i = 0; i < 3000; i++) {
        const r = rnd(3000);
        text += r === 0 ? '</s>' : r < 4 ? ' ' : chars[rnd(chars.length)];
      }
      assert.deepEqual(HfTokenizer.fromJson(json).encode(text), libraryIds(json, text), `trial ${trial}`);
    }
  });

  it('tokenizeRecord gives the byte ids of the line and eos, all trained, and bos untrained', () => {
    const tok = new ByteTokenizer();
    const text = longLine(3_000_000);
    const bytes = Array.from(Buffer.from(text, 'utf8'));
    const doc = tokenizeRecord({ kind: 'text', text, origin: { file: 'long.txt', line: 1 } }, tok, { addBos: true });
    assert.equal(doc.ids.length, bytes.length + 2);
    assert.deepEqual(doc.ids, [tok.bosId, ...bytes, tok.eosId]);
    assert.deepEqual([doc.trainMask[0], doc.trainMask.every((m, i) => m === (i > 0))], [false, true]);
    const split = tokenizeRecord({ kind: 'text', text, prompt: text.slice(0, 10), completion: text.slice(10), origin: { file: 'long.txt', line: 1 } }, tok);
    assert.deepEqual(split.ids, doc.ids.slice(1));
    assert.ok(split.trainMask.every((m, i) => m === (i >= 10)));
  });

  it('HfTokenizer encodes a 4 MB line within a 192 MB heap (the whole-text path needs about 1 GB)', () => {
    const script = `
      require(${JSON.stringify(require.resolve('reflect-metadata'))});
      const { HfTokenizer } = require(${JSON.stringify(path.join(__dirname, '../../src/tokenizer'))});
      const { tinyTokenizerJson } = require(${JSON.stringify(path.join(__dirname, 'tiny-hf-tokenizer'))});
      const words = ['hello', 'world', 'hold', 'xyz', 'lower', 'dew'];
      const parts = [];
      for (let i = 0, n = 0; n < 4e6; i++) { const w = words[(i * 7 + (i >> 3)) % words.length]; parts.push(w); n += w.length + 1; }
      process.stdout.write(String(HfTokenizer.fromJson(tinyTokenizerJson()).encode(parts.join(' ')).length));
    `;
    const run = spawnSync(process.execPath, ['--max-old-space-size=192', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, `child exited ${run.status} (${run.signal}): ${run.stderr.slice(0, 400)}`);
    assert.ok(Number(run.stdout) > 2_000_000, run.stdout);
  });
});
