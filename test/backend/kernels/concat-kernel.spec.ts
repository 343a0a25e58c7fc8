import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { expectNoLeak } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';
import { requireNativeKernels } from '../native/native-fixture';

describe('Concat wasm override', () => {
  useWasmBackend({ kernels: 'js' });

  it('concatenates like cpu along every axis of random shapes, with empty inputs, float32 and int32', async () => {
    const rng = new Rng(81);
    const cases: Array<{ shapes: number[][]; axis: number }> = [
      { shapes: [[64, 16], [64, 32], [64, 1]], axis: 1 },
      { shapes: [[6, 7, 9], [6, 2, 9]], axis: 1 },
      { shapes: [[3, 7, 9], [5, 7, 9], [1, 7, 9]], axis: 0 },
      { shapes: [[6, 7, 4], [6, 7, 0], [6, 7, 5]], axis: -1 },
      { shapes: [[0, 3], [0, 3]], axis: 1 },
      { shapes: [[12], [5]], axis: 0 },
      { shapes: [[2, 3, 4, 5]], axis: 2 },
    ];
    for (const [i, c] of cases.entries()) {
      const dtype = i % 2 === 0 ? 'float32' : 'int32';
      const values = c.shapes.map((s) => randomValues(rng, tf.util.sizeFromShape(s)).map((v) => (dtype === 'int32' ? Math.round(v * 50) : v)));
      const op = (): tf.Tensor => tf.concat(c.shapes.map((s, k) => tf.tensor(values[k], s, dtype)), c.axis);
      const [expected] = await runOn('cpu', op);
      const [actual] = await runOn('wasm', op);
      assert.deepEqual(actual.shape, expected.shape, `case ${i}`);
      assert.deepEqual(Array.from(actual.values), Array.from(expected.values), `case ${i}`);
    }
  });

  it('copies bits exactly (NaN payloads, -0, infinities) and leaves other dtypes to the stock kernel', async () => {
    const bits = Int32Array.of(0x7fc00001, 0x80000000, 0x7f800000, 0xff800000 | 0, 0x00000001, 0x3f800000);
    const floats = new Float32Array(bits.buffer);
    const op = (): tf.Tensor => tf.concat([tf.tensor(floats.slice(0, 2), [1, 2]), tf.tensor(floats.slice(2), [1, 4])], 1);
    const [actual] = await runOn('wasm', op);
    assert.deepEqual(Array.from(new Int32Array(Float32Array.from(actual.values).buffer)), Array.from(bits));
    const [b] = await runOn('wasm', () => tf.concat([tf.tensor([true, false], [2], 'bool'), tf.tensor([true], [1], 'bool')]));
    assert.deepEqual(Array.from(b.values), [1, 0, 1]);
  });

  it('throws on mismatched shapes, as the stock kernel does', () => {
    assert.throws(() => tf.tidy(() => tf.concat([tf.zeros([2, 3]), tf.zeros([3, 3])], 1)), /concat|shape|rank/i);
  });

  it('leaks no tensors and no backend buffers', async () => {
    const x = tf.randomNormal([8, 9]);
    try {
      const before = numDataIds();
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.concat([x, x], 1);
          tf.concat([x, x, x], 0);
        });
      }, 'concat');
      assert.equal(numDataIds(), before);
    } finally {
      x.dispose();
    }
  });
});

describe('Concat and SplitV with the native row copier', () => {
  useWasmBackend();
  requireNativeKernels();

  it('match cpu bit for bit on short rows (a rotate-half) and long ones', async () => {
    const rng = new Rng(5);
    for (const shape of [[2, 9, 4, 32], [3, 200]]) {
      const values = randomValues(rng, tf.util.sizeFromShape(shape));
      values[3] = new Float32Array(Int32Array.of(0x7fc00001).buffer)[0];
      const last = shape[shape.length - 1];
      const op = (): tf.Tensor[] => {
        const x = tf.tensor(values, shape);
        const [a, b] = tf.split(x, [last / 2, last / 2], -1);
        return [a, b, tf.concat([b, a], -1)];
      };
      const expected = await runOn('cpu', op);
      const actual = await runOn('wasm', op);
      actual.forEach((r, i) => {
        assert.deepEqual(r.shape, expected[i].shape);
        assert.deepEqual(Array.from(new Int32Array(Float32Array.from(r.values).buffer)), Array.from(new Int32Array(Float32Array.from(expected[i].values).buffer)), `[${shape}] output ${i}`);
      });
    }
  });
});
