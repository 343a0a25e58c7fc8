import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { randomValues, runOn, useWasmBackend } from '../backend-fixture';

describe('UnsortedSegmentSum wasm kernel', () => {
  useWasmBackend({ kernels: 'js' });

  it('sums rows into segments like cpu, with repeated, skipped and out-of-range ids', async () => {
    const rng = new Rng(21);
    const x = randomValues(rng, 8 * 3 * 2);
    const ids = new Int32Array([4, 0, 4, 2, 2, 2, 9, -1]);
    const op = (): tf.Tensor => tf.unsortedSegmentSum(tf.tensor(x, [8, 3, 2]), tf.tensor1d(ids, 'int32'), 5);
    const [expected] = await runOn('cpu', op);
    const [actual] = await runOn('wasm', op);
    assert.deepEqual(actual.shape, [5, 3, 2]);
    assertClose(actual.values, expected.values, 1e-5);
  });

  it('sums int32 values exactly', async () => {
    const op = (): tf.Tensor => tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2);
    const [actual] = await runOn('wasm', op);
    assert.deepEqual(Array.from(actual.values), [5, 6, 4, 6]);
  });

  it('makes the gradient of tf.gather (embedding lookup) work on wasm and match cpu', async () => {
    const rng = new Rng(22);
    const vocab = 11;
    const dim = 6;
    const table = randomValues(rng, vocab * dim);
    const ids = Int32Array.from({ length: 4 * 7 }, () => rng.int(vocab));
    const weights = randomValues(rng, 4 * 7 * dim);
    const grad = (): tf.Tensor =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d(ids, [4, 7], 'int32')), tf.tensor(weights, [4, 7, dim]))))(
        tf.tensor2d(table, [vocab, dim]),
      );
    const [expected] = await runOn('cpu', grad);
    const [actual] = await runOn('wasm', grad);
    assert.deepEqual(actual.shape, [vocab, dim]);
    assertClose(actual.values, expected.values, 1e-5);
  });

  it('leaks no tensors', async () => {
    const x = tf.randomNormal([6, 4]);
    const ids = tf.tensor1d([0, 1, 0, 2, 2, 1], 'int32');
    try {
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.unsortedSegmentSum(x, ids, 3);
        });
      }, 'unsortedSegmentSum');
    } finally {
      tf.dispose([x, ids]);
    }
  });
});
