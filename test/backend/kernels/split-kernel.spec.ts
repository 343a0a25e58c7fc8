import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { expectNoLeak } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

describe('SplitV wasm override', () => {
  useWasmBackend({ kernels: 'js' });

  it('splits like cpu along every axis of random shapes, even and uneven, float32 and int32', async () => {
    const rng = new Rng(71);
    const cases: Array<{ shape: number[]; splits: number | number[]; axis: number }> = [
      { shape: [64, 48], splits: 3, axis: 1 },
      { shape: [64, 48], splits: [5, 0, 43], axis: 1 },
      { shape: [6, 7, 9], splits: [2, 5], axis: 1 },
      { shape: [6, 7, 9], splits: 3, axis: 0 },
      { shape: [6, 7, 9], splits: [1, -1], axis: -1 },
      { shape: [12], splits: 4, axis: 0 },
    ];
    for (const [i, c] of cases.entries()) {
      const dtype = i % 2 === 0 ? 'float32' : 'int32';
      const values = randomValues(rng, tf.util.sizeFromShape(c.shape)).map((v) => (dtype === 'int32' ? Math.round(v * 50) : v));
      const op = (): tf.Tensor[] => tf.split(tf.tensor(values, c.shape, dtype), c.splits, c.axis);
      const expected = await runOn('cpu', op);
      const actual = await runOn('wasm', op);
      assert.equal(actual.length, expected.length);
      expected.forEach((e, k) => {
        assert.deepEqual(actual[k].shape, e.shape, `case ${i} piece ${k}`);
        assert.deepEqual(Array.from(actual[k].values), Array.from(e.values), `case ${i} piece ${k}`);
      });
    }
  });

  it('gives the same gradient as cpu (concat of the pieces’ gradients)', async () => {
    const rng = new Rng(72);
    const x = randomValues(rng, 10 * 12);
    const w = randomValues(rng, 10 * 12);
    const grad = (): tf.Tensor =>
      tf.grad((t: tf.Tensor) => {
        const [a, b, c] = tf.split(t, [3, 4, 5], 1);
        return tf.sum(tf.mul(tf.concat([tf.mul(a, 2), tf.square(b), tf.neg(c)], 1), tf.tensor(w, [10, 12])));
      })(tf.tensor(x, [10, 12]));
    const [expected] = await runOn('cpu', grad);
    const [actual] = await runOn('wasm', grad);
    assert.deepEqual(Array.from(actual.values), Array.from(expected.values));
  });

  it('leaks no tensors and no backend buffers', async () => {
    const x = tf.randomNormal([8, 9]);
    try {
      const before = numDataIds();
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.split(x, 3, 1);
          tf.split(x, [2, 6], 0);
        });
      }, 'split');
      assert.equal(numDataIds(), before);
    } finally {
      x.dispose();
    }
  });
});
