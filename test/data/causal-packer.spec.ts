import { strict as assert } from 'assert';
import { CausalPacker, packCausal, tokenizeRecord } from '../../src/data';
import { DataError } from '../../src/errors';
import { ByteTokenizer, Tokenizer } from '../../src/tokenizer';

describe('CausalPacker', () => {
  const E = 99;

  it('cuts the concatenated stream into maxLength+1 windows with labels shifted by one', () => {
    const rows = packCausal([[1, 2, 3, E], [4, 5, E], [6, 7, 8, 9, E]], { maxLength: 3 });
    assert.deepEqual(rows.map((r) => Array.from(r.inputIds)), [[1, 2, 3], [E, 4, 5], [E, 6, 7], [8, 9]]);
    assert.deepEqual(rows.map((r) => Array.from(r.labels)), [[2, 3, E], [4, 5, E], [6, 7, 8], [9, E]]);
    assert.ok(rows.every((r) => r.lossMask.every((m) => m === 1) && r.lossMask.length === r.inputIds.length));
    // Every token after the first is a label exactly once.
    assert.deepEqual(rows.flatMap((r) => Array.from(r.labels)), [2, 3, E, 4, 5, E, 6, 7, 8, 9, E]);
  });

  it('drops the final partial window when asked', () => {
    const rows = packCausal([[1, 2, 3, E], [4, 5, E], [6, 7, 8, 9, E]], { maxLength: 3, remainder: 'drop' });
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.inputIds.length === 3));
    // It counts the labels it leaves out (9 and eos), so the run can say so.
    const packer = new CausalPacker({ maxLength: 3, remainder: 'drop' });
    for (const doc of [[1, 2, 3, E], [4, 5, E], [6, 7, 8, 9, E]]) packer.push(doc);
    packer.finish();
    assert.equal(packer.droppedLabels, 2);
    const keeping = new CausalPacker({ maxLength: 3 });
    keeping.push([1, 2, 3, 4, 5]);
    keeping.finish();
    assert.equal(keeping.droppedLabels, 0);
  });

  it('streams documents longer than a window', () => {
    const packer = new CausalPacker({ maxLength: 4 });
    const doc = Array.from({ length: 21 }, (_, i) => i);
    const rows = packer.push(doc);
    assert.equal(rows.length, 5);
    assert.deepEqual(Array.from(rows[4].inputIds), [16, 17, 18, 19]);
    assert.deepEqual(packer.finish(), []);
  });

  it('matches plain slicing of the concatenated stream across many storage chunks', () => {
    // Enough tokens for several chunks (they hold 4, 8, 16, ... windows): every chunk boundary
    // must carry the window in progress over intact.
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const docs = Array.from({ length: 300 }, () => Array.from({ length: 1 + (next() % 40) }, () => next() % 1000));
    const stream = docs.flat();
    const T = 5;
    const expected: number[][] = [];
    for (let s = 0; s + 1 < stream.length; s += T) expected.push(stream.slice(s, Math.min(s + T + 1, stream.length)));
    const packer = new CausalPacker({ maxLength: T });
    const rows = [...docs.flatMap((d) => packer.push(d)), ...packer.finish()];
    assert.ok(stream.length > 40 * T, 'spans several chunks');
    assert.deepEqual(rows.map((r) => Array.from(r.inputIds)), expected.map((w) => w.slice(0, -1)));
    assert.deepEqual(rows.map((r) => Array.from(r.labels)), expected.map((w) => w.slice(1)));
    assert.ok(rows.every((r) => r.lossMask.length === r.inputIds.length && r.lossMask.every((m) => m === 1)));
    // Stored once: a row's inputs and labels are views of the same buffer.
    assert.ok(rows.every((r) => r.inputIds.buffer === r.labels.buffer));
    // After finish the packer starts a fresh stream.
    assert.deepEqual(packer.push([1, 2, 3, 4, 5, 6, 7]).map((r) => Array.from(r.inputIds)), [[1, 2, 3, 4, 5]]);
    assert.deepEqual(packer.finish().map((r) => Array.from(r.labels)), [[7]]);
  });

  it('appends eos to each tokenized text record', () => {
    const tok = new ByteTokenizer();
    const doc = tokenizeRecord({ kind: 'text', text: 'ab', origin: { file: 'x', line: 1 } }, tok);
    assert.deepEqual(doc.ids, [97, 98, tok.eosId]);
    const withBos = tokenizeRecord({ kind: 'text', text: 'ab', origin: { file: 'x', line: 1 } }, tok, { addBos: true });
    assert.deepEqual(withBos.ids, [tok.bosId, 97, 98, tok.eosId]);
  });

  it("refuses an id outside the tokenizer's vocabulary, naming the record (was tfjs's GatherV2 error in loss())", () => {
    const chars: Tokenizer = { vocabSize: 5, bosId: 2, eosId: 3, padId: 4, fingerprint: 'codes', encode: (text) => [...text].map((c) => c.charCodeAt(0)), decode: () => '' };
    assert.throws(
      () => tokenizeRecord({ kind: 'text', text: '0', origin: { file: 'a.txt', line: 3 } }, chars),
      (e: Error) => e instanceof DataError && e.message === "a.txt:3: the tokenizer's encode() gave id 48, outside its vocabulary: ids must be whole numbers in [0, 5) (vocabSize 5)",
    );
    assert.throws(() => tokenizeRecord({ kind: 'text', text: 'x', origin: { file: 'a.txt', line: 1 } }, { ...chars, encode: () => [-1] }), /gave id -1, outside/);
    assert.deepEqual(tokenizeRecord({ kind: 'text', text: 'x', origin: { file: 'a.txt', line: 1 } }, { ...chars, encode: () => [0, 1] }).ids, [0, 1, 3]);
  });

  it('names the record file:line when tokenizing fails', () => {
    const failing: Tokenizer = { ...new ByteTokenizer(), encode: () => { throw new DataError('cannot encode'); }, decode: () => '' };
    assert.throws(
      () => tokenizeRecord({ kind: 'text', text: 'x', origin: { file: 'data.jsonl', line: 7 } }, failing),
      (e: Error) => e instanceof DataError && e.message === 'data.jsonl:7: cannot encode',
    );
  });
});
