import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

describe('Sum wasm override', () => {
  useWasmBackend({ kernels: 'js' });

  it('matches cpu for leading-axis sums (bias gradients) of random shapes, with and without keepDims', async () => {
    const rng = new Rng(51);
    const cases: Array<{ shape: number[]; axis: number | number[] }> = [
      { shape: [37, 13], axis: 0 },
      { shape: [203, 64], axis: [0] },
      { shape: [5, 7, 9], axis: [0, 1] },
      { shape: [5, 7, 9], axis: [1, 0] },
      { shape: [6, 1, 4], axis: 0 },
      { shape: [1, 8], axis: 0 },
      { shape: [3, 5], axis: -2 },
    ];
    for (const { shape, axis } of cases) {
      for (const keepDims of [false, true]) {
        const values = randomValues(rng, tf.util.sizeFromShape(shape));
        const op = (): tf.Tensor => tf.sum(tf.tensor(values, shape), axis, keepDims);
        const [expected] = await runOn('cpu', op);
        const [actual] = await runOn('wasm', op);
        const label = `shape ${shape} axis ${axis} keepDims ${keepDims}`;
        assert.deepEqual(actual.shape, expected.shape, label);
        assertClose(actual.values, expected.values, 1e-4, label);
      }
    }
  });

  it('leaves other sums (inner axes, all axes, int32) to the stock kernel, still matching cpu', async () => {
    const rng = new Rng(52);
    const values = randomValues(rng, 4 * 5 * 6);
    const ints = Int32Array.from(values, (v) => Math.round(v * 10));
    const op = (): tf.Tensor[] => {
      const x = tf.tensor(values, [4, 5, 6]);
      return [tf.sum(x, -1), tf.sum(x, 1), tf.sum(x), tf.sum(x, [0, 2]), tf.sum(tf.tensor(ints, [4, 5, 6], 'int32'), 0)];
    };
    const expected = await runOn('cpu', op);
    const actual = await runOn('wasm', op);
    expected.forEach((e, i) => {
      assert.deepEqual(actual[i].shape, e.shape, `case ${i}`);
      assertClose(actual[i].values, e.values, 1e-4, `case ${i}`);
    });
  });

  it('gives the bias gradient of a broadcast add like cpu', async () => {
    const rng = new Rng(53);
    const x = randomValues(rng, 64 * 24);
    const w = randomValues(rng, 64 * 24);
    const grad = (): tf.Tensor =>
      tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.tensor(x, [64, 24]), b), tf.tensor(w, [64, 24]))))(tf.zeros([24]));
    const [expected] = await runOn('cpu', grad);
    const [actual] = await runOn('wasm', grad);
    assertClose(actual.values, expected.values, 1e-4);
  });

  it('leaks no tensors and no backend buffers', async () => {
    const x = tf.randomNormal([40, 8]);
    try {
      const before = numDataIds();
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.sum(x, 0);
          tf.sum(x, 0, true);
        });
      }, 'sum');
      assert.equal(numDataIds(), before);
    } finally {
      x.dispose();
    }
  });
});
