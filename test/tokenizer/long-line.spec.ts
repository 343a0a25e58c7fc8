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
