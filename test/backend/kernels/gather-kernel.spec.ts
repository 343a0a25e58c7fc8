import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { expectNoLeak } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

describe('GatherV2 wasm override', () => {
  useWasmBackend({ kernels: 'js' });

  it('gathers rows (embedding lookups) like cpu for random tables and index shapes', async () => {
    const rng = new Rng(61);
    for (const [rows, inner, indexShape] of [
      [11, [6], [4, 7]],
      [50, [3, 4], [9]],
      [7, [], [2, 3]],
      [256, [128], [2048]],
    ] as Array<[number, number[], number[]]>) {
      const table = randomValues(rng, rows * tf.util.sizeFromShape(inner));
      const ids = Int32Array.from({ length: tf.util.sizeFromShape(indexShape) }, () => rng.int(rows));
      const op = (): tf.Tensor[] => [
        tf.gather(tf.tensor(table, [rows, ...inner]), tf.tensor(ids, indexShape, 'int32')),
        tf.gather(tf.tensor(table, [rows, ...inner], 'float32').cast('int32'), tf.tensor(ids, indexShape, 'int32')),
      ];
      const expected = await runOn('cpu', op);
      const actual = await runOn('wasm', op);
      expected.forEach((e, k) => {
        assert.deepEqual(actual[k].shape, e.shape);
        assert.deepEqual(Array.from(actual[k].values), Array.from(e.values));
      });
    }
  });

  it('leaves other axes to the stock kernel, still matching cpu', async () => {
    const rng = new Rng(62);
    const x = randomValues(rng, 4 * 5 * 3);
    const op = (): tf.Tensor => tf.gather(tf.tensor(x, [4, 5, 3]), tf.tensor1d([4, 0, 2], 'int32'), 1);
    const [expected] = await runOn('cpu', op);
    const [actual] = await runOn('wasm', op);
    assert.deepEqual(Array.from(actual.values), Array.from(expected.values));
  });

  it('throws for an index out of range and leaks nothing', async () => {
    const table = tf.ones([3, 2]);
    try {
      const before = numDataIds();
      await expectNoLeak(() => {
        assert.throws(() => tf.tidy(() => tf.gather(table, tf.tensor1d([0, 3], 'int32'))), /index value 3 is not in \[0, 2\]/);
        tf.tidy(() => {
          tf.gather(table, tf.tensor1d([2, 1, 2], 'int32'));
        });
      }, 'gather');
      assert.equal(numDataIds(), before);
    } finally {
      table.dispose();
    }
  });
});
