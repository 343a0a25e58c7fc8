import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { BatchIterator, DataLoader, initBackend, LmExample, shardBatchCount, ShardedEvalLoader, shardedBatches } from '../../src';

function examples(n: number): LmExample[] {
  return Array.from({ length: n }, (_, i) => ({ inputIds: Int32Array.of(i + 1, i + 2), labels: Int32Array.of(i + 2, i + 3), lossMask: Float32Array.of(1, 1) }));
}

async function collect<B>(it: Iterable<B> | AsyncIterable<B>, read: (b: B) => number[]): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of it) {
    out.push(read(b));
    tf.dispose(b as unknown as tf.TensorContainer);
  }
  return out;
}

/** A loader without `shardable`: yields batch indices as tensors. */
class CountingLoader implements DataLoader<{ x: tf.Tensor1D }> {
  built = 0;
  constructor(readonly length: number) {}
  get numExamples(): number {
    return this.length;
  }
  *batches(_epoch: number, start = 0): Generator<{ x: tf.Tensor1D }> {
    for (let b = start; b < this.length; b++) {
      this.built++;
      yield { x: tf.tensor1d([b]) };
    }
  }
}

describe('data sharding', () => {
  before(() => initBackend({ name: 'cpu' }));

  it('BatchIterator gives each rank every size-th batch from start: disjoint, together the whole epoch', async () => {
    const it = new BatchIterator({ examples: examples(23), batchSize: 2, seed: 3, padId: 0 });
    const first = (b: { inputIds: tf.Tensor2D }): number[] => (b.inputIds.arraySync() as number[][]).map((r) => r[0]);
    const all = await collect(it.batches(1, 3), first);
    const rank0 = await collect(it.batches(1, 3, { rank: 0, size: 3 }), first);
    const rank2 = await collect(it.batches(1, 3, { rank: 2, size: 3 }), first);
    assert.equal(all.length, 9);
    assert.deepEqual(rank0, [all[0], all[3], all[6]]);
    assert.deepEqual(rank2, [all[2], all[5], all[8]]);
    assert.equal(shardBatchCount(12, 3, { rank: 0, size: 3 }), 3);
    assert.equal(shardBatchCount(12, 3, { rank: 2, size: 3 }), 3);
    assert.equal(shardBatchCount(11, 3, { rank: 2, size: 3 }), 2);
    assert.equal(shardBatchCount(12, 12, { rank: 1, size: 2 }), 0);
  });

  it('shards loaders that do not take a shard by dropping the other ranks\' batches, leaking nothing', async () => {
    const loader = new CountingLoader(7);
    const before = tf.memory().numTensors;
    const got = await collect(shardedBatches(loader, 0, 1, { rank: 1, size: 2 }), (b) => Array.from(b.x.dataSync()));
    assert.deepEqual(got, [[2], [4], [6]]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('the eval view takes its shard of the first evalMaxBatches batches and sums their weights', async () => {
    const loader = new CountingLoader(10);
    const view = new ShardedEvalLoader(loader, { rank: 1, size: 2 }, (b) => 10 + b.x.dataSync()[0], 5);
    assert.equal(view.length, 2);
    const got = await collect(view.batches(0), (b) => Array.from(b.x.dataSync()));
    assert.deepEqual(got, [[1], [3]]);
    assert.equal(view.lastWeight, 11 + 13);
  });
});
