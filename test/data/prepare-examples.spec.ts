import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JsonlSource, SyntheticSource, TextSource, decodeExamples, encodeExamples, prepareExamples } from '../../src/data';
import { DataError } from '../../src/errors';
import { ByteTokenizer, Tokenizer } from '../../src/tokenizer';

describe('prepareExamples', () => {
  let dir: string;
  const tok = new ByteTokenizer();
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-prepare-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('packs causal text and hits the tokenized cache on the second load', async () => {
    const cacheDir = path.join(dir, 'cache');
    const options = () => ({
      sources: [new SyntheticSource({ task: 'addition' as const, count: 40, seed: 1 })],
      tokenizer: tok,
      mode: 'causal' as const,
      maxLength: 16,
      cacheDir,
      dataConfig: { synthetic: { task: 'addition', count: 40 } },
    });
    const first = await prepareExamples(options());
    assert.equal(first.cacheHit, false);
    assert.equal(first.stats.records, 40);
    assert.ok(first.examples.length > 5);
    assert.ok(first.examples.slice(0, -1).every((e) => e.inputIds.length === 16));
    const files = fs.readdirSync(cacheDir);
    assert.deepEqual(files, [`${first.cacheKey}.bin`]);
    const second = await prepareExamples(options());
    assert.equal(second.cacheHit, true);
    assert.equal(second.cacheKey, first.cacheKey);
    assert.deepEqual(second.examples, first.examples);
    assert.deepEqual(second.stats, first.stats);
    // Another tokenizer identity or processing option is another key.
    const otherTok: Tokenizer = { vocabSize: 300, bosId: 1, eosId: 2, padId: 0, encode: (t) => tok.encode(t), decode: (ids) => tok.decode(ids) };
    assert.equal((await prepareExamples({ ...options(), tokenizer: otherTok })).cacheHit, false);
    assert.equal((await prepareExamples({ ...options(), maxLength: 8 })).cacheHit, false);
  });

  it('says a cache folder that cannot be written is the data cache, with the reason and the settings to change', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const run = prepareExamples({ sources: [new SyntheticSource({ task: 'addition', count: 4, seed: 1 })], tokenizer: tok, mode: 'causal', maxLength: 8, cacheDir: path.join(file, 'cache') });
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof DataError, String(error));
      assert.match(error.message, /^Cannot write the tokenized-data cache .*a-file\/cache\/[0-9a-f]{64}\.bin: a part of the path is a file, not a folder \(ENOTDIR\)\. Set data\.cacheDir to a writable folder, or data\.cache: false\.$/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir), ['a-file'], 'no temp file is left behind');
  });

  it('misses the cache after a data file changes', async () => {
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'one\ntwo\n');
    const run = () => prepareExamples({ sources: [new TextSource({ paths: [file], unit: 'line' })], tokenizer: tok, mode: 'causal', maxLength: 4, cacheDir: path.join(dir, 'c') });
    assert.equal((await run()).cacheHit, false);
    assert.equal((await run()).cacheHit, true);
    fs.writeFileSync(file, 'one\ntwo\nthree and more\n');
    assert.equal((await run()).cacheHit, false);
  });

  it('builds packed SFT rows from JSONL chats and round-trips them through the cache', async () => {
    const file = path.join(dir, 'chat.jsonl');
    fs.writeFileSync(file, ['{"prompt": "hi", "response": "hello"}', '{"prompt": "1+1", "response": "2"}'].join('\n'));
    const run = () =>
      prepareExamples({
        sources: [new JsonlSource({ paths: [file], format: 'prompt-response' })],
        tokenizer: tok,
        mode: 'sft',
        maxLength: 128,
        packing: true,
        padToMultipleOf: 8,
        chat: { systemPrompt: 'Date: {date}', date: '2025-01-02' },
        cacheDir: path.join(dir, 'c'),
      });
    const first = await run();
    assert.equal(first.examples.length, 1);
    const [row] = first.examples;
    assert.equal(row.inputIds.length % 8, 0);
    assert.deepEqual([...new Set(row.segmentIds)].sort(), [0, 1, 2]);
    assert.equal(tok.decode(Array.from(row.labels.filter((_, t) => row.lossMask[t] === 1))), 'hello2');
    assert.ok(tok.decode(Array.from(row.inputIds)).includes('Date: 2025-01-02'));
    const second = await run();
    assert.equal(second.cacheHit, true);
    assert.deepEqual(second.examples, first.examples);
  });

  it('packs one document into more rows than a call may have arguments (300k rows)', async () => {
    // A 600k-character file read as one document: spreading its rows into push() overflowed the stack.
    const file = path.join(dir, 'book.txt');
    fs.writeFileSync(file, 'ab'.repeat(300_000));
    const { examples, stats } = await prepareExamples({ sources: [new TextSource({ paths: [file], unit: 'file' })], tokenizer: tok, mode: 'causal', maxLength: 2 });
    assert.equal(stats.records, 1);
    // 600,000 bytes + end-of-text, in windows of 3 tokens that overlap by one: 300,000 rows.
    assert.equal(examples.length, 300_000);
    assert.deepEqual(Array.from(examples[1].inputIds), Array.from(tok.encode('ab')));
  });

  it('builds SFT rows when padToMultipleOf is given as undefined (its default, 1)', async () => {
    const file = path.join(dir, 'chat.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] })}\n`);
    const { examples } = await prepareExamples({ sources: [new JsonlSource({ paths: [file], format: 'chat' })], tokenizer: tok, mode: 'sft', maxLength: 64, padToMultipleOf: undefined });
    assert.equal(examples.length, 1);
  });

  it('encodes examples to a compact binary form and back', () => {
    const i32 = (a: number[]): Int32Array => Int32Array.from(a);
    const f32 = (a: number[]): Float32Array => Float32Array.from(a);
    const examples = [
      { inputIds: i32([1, 2, 3]), labels: i32([2, 3, 4]), lossMask: f32([0, 1, 1]) },
      { inputIds: i32([5, 6]), labels: i32([6, 7]), lossMask: f32([1, 0]), positions: i32([0, 0]), segmentIds: i32([1, 2]), numTokens: 1 },
    ];
    const { examples: back, meta } = decodeExamples(encodeExamples(examples, { a: 1 }), 'x.bin');
    assert.deepEqual(back[1], examples[1]);
    assert.deepEqual(back[0], { ...examples[0], positions: i32([0, 1, 2]), segmentIds: i32([1, 1, 1]) });
    assert.deepEqual(meta, { a: 1 });
    // Rows are views of the bytes when aligned; at an odd offset the decoder copies first.
    const bytes = encodeExamples(examples);
    const odd = Buffer.from(new ArrayBuffer(bytes.length + 1), 1, bytes.length);
    bytes.copy(odd);
    assert.deepEqual(decodeExamples(odd, 'odd.bin').examples, back);
    assert.throws(() => decodeExamples(Buffer.from('nope'), 'x.bin'), /x\.bin: not a Floe example cache/);
  });
});
