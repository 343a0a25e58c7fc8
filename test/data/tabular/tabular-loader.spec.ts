import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { TabularBatch, TabularLoader, TabularRecord } from '../../../src';

const records: TabularRecord[] = Array.from({ length: 10 }, (_, i) => ({ features: [i, -i], targets: [i % 3], origin: { file: 't', line: i + 1 } }));

/** The first feature (the row's index) of every row, in batch order. */
async function firstFeatures(batches: Iterable<TabularBatch>): Promise<number[]> {
  const out: number[] = [];
  for (const b of batches) {
    out.push(...((await b.features.array()) as number[][]).map((r) => r[0]));
    tf.dispose(b as unknown as tf.TensorContainer);
  }
  return out;
}

describe('TabularLoader', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('batches rows in a seeded per-epoch order, class ids as int32 [N], resuming at a batch index', async () => {
    const loader = new TabularLoader({ records, targetKind: 'class-id', batchSize: 4, seed: 9 });
    assert.equal(loader.length, 3);
    const [first] = loader.batches(0);
    assert.deepEqual([first.features.shape, first.targets.shape, first.targets.dtype, first.numSamples], [[4, 2], [4], 'int32', 4]);
    tf.dispose(first as unknown as tf.TensorContainer);
    const epoch0 = await firstFeatures(loader.batches(0));
    assert.deepEqual([...epoch0].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(await firstFeatures(loader.batches(0)), epoch0, 'same seed and epoch, same order');
    assert.notDeepEqual(await firstFeatures(loader.batches(1)), epoch0, 'another epoch, another order');
    assert.deepEqual(await firstFeatures(loader.batches(0, 1)), epoch0.slice(4), 'resumes at batch 1');
  });

  it('gives each data-parallel rank every size-th batch', async () => {
    const loader = new TabularLoader({ records, targetKind: 'values', batchSize: 2, seed: 1, shuffle: false });
    assert.deepEqual(await firstFeatures(loader.batches(0, 0, { rank: 0, size: 2 })), [0, 1, 4, 5, 8, 9]);
    assert.deepEqual(await firstFeatures(loader.batches(0, 0, { rank: 1, size: 2 })), [2, 3, 6, 7]);
    assert.deepEqual(await firstFeatures(loader.batches(0, 1, { rank: 0, size: 2 })), [2, 3, 6, 7]);
  });
});
