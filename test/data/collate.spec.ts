import { strict as assert } from 'assert';
import { BatchIterator, LmExample, collate, disposeBatch } from '../../src/data';
import { expectNoLeak } from '../support/tensors';

const PAD = 0;
const ex = (ids: number[], extra: { positions?: number[]; segmentIds?: number[]; numTokens?: number } = {}): LmExample => ({
  inputIds: Int32Array.from(ids),
  labels: Int32Array.from(ids, (x) => x + 100),
  lossMask: new Float32Array(ids.length).fill(1),
  ...(extra.positions && { positions: Int32Array.from(extra.positions) }),
  ...(extra.segmentIds && { segmentIds: Int32Array.from(extra.segmentIds) }),
  ...(extra.numTokens !== undefined && { numTokens: extra.numTokens }),
});

describe('collate', () => {
  it('pads to the longest row rounded to a multiple, with int32/float32 tensors', async () => {
    const batch = collate([ex([1, 2, 3]), ex([4, 5, 6, 7, 8])], { padId: PAD, padToMultipleOf: 4 });
    try {
      assert.deepEqual(batch.inputIds.shape, [2, 8]);
      assert.equal(batch.inputIds.dtype, 'int32');
      assert.equal(batch.labels.dtype, 'int32');
      assert.equal(batch.lossMask.dtype, 'float32');
      assert.deepEqual(await batch.inputIds.array(), [[1, 2, 3, 0, 0, 0, 0, 0], [4, 5, 6, 7, 8, 0, 0, 0]]);
      assert.deepEqual(await batch.labels.array(), [[101, 102, 103, 0, 0, 0, 0, 0], [104, 105, 106, 107, 108, 0, 0, 0]]);
      assert.deepEqual(await batch.lossMask.array(), [[1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0, 0, 0]]);
      assert.equal(batch.numTokens, 8);
      assert.equal(batch.positions, undefined);
    } finally {
      disposeBatch(batch);
    }
  });

  it('adds positions and segment ids when any row is packed', async () => {
    const packed = ex([1, 2, 3, 9], { positions: [0, 1, 0, 0], segmentIds: [1, 1, 2, 0], numTokens: 3 });
    const batch = collate([packed, ex([4, 5])], { padId: PAD });
    try {
      assert.deepEqual(await batch.positions!.array(), [[0, 1, 0, 0], [0, 1, 0, 0]]);
      assert.deepEqual(await batch.segmentIds!.array(), [[1, 1, 2, 0], [1, 1, 0, 0]]);
      assert.equal(batch.numTokens, 5);
    } finally {
      disposeBatch(batch);
    }
  });

  it('leaves no tensors behind once the batch is disposed', async () => {
    await expectNoLeak(() => {
      const batch = collate([ex([1, 2], { positions: [0, 1], segmentIds: [1, 1] }), ex([3])], { padId: PAD });
      disposeBatch(batch);
    }, 'collate + disposeBatch');
  });
});

describe('BatchIterator', () => {
  const examples = Array.from({ length: 10 }, (_, i) => ex([i + 1]));
  const firstIds = async (it: Iterable<ReturnType<typeof collate>>): Promise<number[][]> => {
    const out: number[][] = [];
    for (const batch of it) {
      out.push(((await batch.inputIds.array()) as number[][]).map((row) => row[0]));
      disposeBatch(batch);
    }
    return out;
  };

  it('visits every example once per epoch in a seeded order, keeping the last partial batch', async () => {
    const it = new BatchIterator({ examples, batchSize: 4, seed: 5, padId: PAD });
    assert.equal(it.length, 3);
    assert.equal(it.numExamples, 10);
    const epoch0 = await expectNoLeak(() => firstIds(it.batches(0)), 'epoch');
    assert.deepEqual(epoch0.map((b) => b.length), [4, 4, 2]);
    assert.deepEqual(epoch0.flat().sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i + 1));
    assert.deepEqual(await firstIds(new BatchIterator({ examples, batchSize: 4, seed: 5, padId: PAD }).batches(0)), epoch0);
    assert.notDeepEqual(await firstIds(it.batches(1)), epoch0);
  });

  it('drops the last partial batch with dropLast and resumes mid-epoch', async () => {
    const it = new BatchIterator({ examples, batchSize: 4, seed: 5, padId: PAD, dropLast: true });
    assert.equal(it.length, 2);
    const all = await firstIds(it.batches(3));
    assert.equal(all.length, 2);
    assert.deepEqual(await firstIds(it.batches(3, 1)), all.slice(1));
    assert.deepEqual(it.batchIndices(3, 1).map((i) => i + 1), all[1]);
  });

  it('keeps the input order without shuffling', async () => {
    const it = new BatchIterator({ examples, batchSize: 5, seed: 0, padId: PAD, shuffle: false });
    assert.deepEqual(await firstIds(it.batches(0)), [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]);
  });
});
