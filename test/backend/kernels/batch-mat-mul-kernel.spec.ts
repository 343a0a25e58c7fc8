import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

interface Case {
  aShape: number[];
  bShape: number[];
  transposeA: boolean;
  transposeB: boolean;
}

/** Operand shapes for `[...batch, m, n] = a @ b` under the given transposes. */
function shapesFor(m: number, k: number, n: number, aBatch: number[], bBatch: number[], transposeA: boolean, transposeB: boolean): Case {
  return {
    aShape: [...aBatch, ...(transposeA ? [k, m] : [m, k])],
    bShape: [...bBatch, ...(transposeB ? [n, k] : [k, n])],
    transposeA,
    transposeB,
  };
}

const TRANSPOSES: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Compares wasm (Floe's kernel) with the cpu backend on the same inputs. */
async function checkAgainstCpu(rng: Rng, c: Case, tol = 1e-4): Promise<void> {
  const aValues = randomValues(rng, tf.util.sizeFromShape(c.aShape));
  const bValues = randomValues(rng, tf.util.sizeFromShape(c.bShape));
  const op = (): tf.Tensor => tf.matMul(tf.tensor(aValues, c.aShape), tf.tensor(bValues, c.bShape), c.transposeA, c.transposeB);
  const [expected] = await runOn('cpu', op);
  const [actual] = await runOn('wasm', op);
  const label = `a=${c.aShape} b=${c.bShape} tA=${c.transposeA} tB=${c.transposeB}`;
  assert.deepEqual(actual.shape, expected.shape, label);
  assertClose(actual.values, expected.values, tol, label);
}

describe('BatchMatMul wasm override', () => {
  useWasmBackend({ kernels: 'js' });

  it('matches cpu for 2-D operands with every transpose combination and odd sizes', async () => {
    const rng = new Rng(1);
    for (const [tA, tB] of TRANSPOSES) {
      for (let trial = 0; trial < 3; trial++) {
        const [m, k, n] = [rng.intBetween(1, 37), rng.intBetween(1, 41), rng.intBetween(1, 29)];
        await checkAgainstCpu(rng, shapesFor(m, k, n, [], [], tA, tB));
      }
    }
  });

  it('matches cpu for batched rank-3 and rank-4 operands (attention shapes)', async () => {
    const rng = new Rng(2);
    for (const [tA, tB] of TRANSPOSES) {
      await checkAgainstCpu(rng, shapesFor(13, 7, 11, [3], [3], tA, tB));
      await checkAgainstCpu(rng, shapesFor(16, 8, 16, [2, 4], [2, 4], tA, tB));
    }
  });

  it('matches cpu when only one operand has batch dims (dense layer on 3-D input and the reverse)', async () => {
    const rng = new Rng(3);
    for (const [tA, tB] of TRANSPOSES) {
      await checkAgainstCpu(rng, shapesFor(9, 5, 6, [4], [], tA, tB));
      await checkAgainstCpu(rng, shapesFor(9, 5, 6, [], [3], tA, tB));
      await checkAgainstCpu(rng, shapesFor(4, 6, 5, [2, 3], [3], tA, tB));
    }
  });

  it('broadcasts size-1 batch dims on both sides like a tiled matMul', async () => {
    // The cpu kernel gets two-sided broadcasting wrong (it maps batches with a modulo), so the
    // reference tiles both operands to the full batch on cpu first.
    const rng = new Rng(4);
    for (const [tA, tB] of TRANSPOSES) {
      const c = shapesFor(5, 7, 6, [2, 1], [1, 3], tA, tB);
      const aValues = randomValues(rng, tf.util.sizeFromShape(c.aShape));
      const bValues = randomValues(rng, tf.util.sizeFromShape(c.bShape));
      const [expected] = await runOn('cpu', () =>
        tf.matMul(tf.tile(tf.tensor(aValues, c.aShape), [1, 3, 1, 1]), tf.tile(tf.tensor(bValues, c.bShape), [2, 1, 1, 1]), tA, tB),
      );
      const [actual] = await runOn('wasm', () => tf.matMul(tf.tensor(aValues, c.aShape), tf.tensor(bValues, c.bShape), tA, tB));
      assert.deepEqual(actual.shape, [2, 3, 5, 6]);
      assertClose(actual.values, expected.values, 1e-4, `tA=${tA} tB=${tB}`);
    }
  });

  it('handles dims of size 1 (transposes that need no copy) and a larger K', async () => {
    const rng = new Rng(5);
    for (const [tA, tB] of TRANSPOSES) {
      await checkAgainstCpu(rng, shapesFor(1, 9, 7, [2], [2], tA, tB));
      await checkAgainstCpu(rng, shapesFor(8, 1, 7, [], [], tA, tB));
      await checkAgainstCpu(rng, shapesFor(8, 9, 1, [3], [], tA, tB));
      await checkAgainstCpu(rng, shapesFor(33, 300, 17, [], [], tA, tB), 1e-3);
    }
  });

  it('computes weight-gradient shapes (long K, narrow left operand) transposed and back, matching cpu', async () => {
    // op(a) = aᵀ with M much smaller than N: Floe packs the narrower operand and transposes the result.
    const rng = new Rng(7);
    await checkAgainstCpu(rng, shapesFor(5, 300, 40, [], [], true, false), 1e-3);
    await checkAgainstCpu(rng, shapesFor(5, 300, 40, [2], [2], true, false), 1e-3);
    await checkAgainstCpu(rng, shapesFor(3, 200, 30, [2], [], true, true), 1e-3);
  });

  it('keeps the stock XNNPACK path for untransposed 2-D products, reusing packed weights only for the same shape', async () => {
    const rng = new Rng(8);
    const bValues = randomValues(rng, 24);
    const a1 = randomValues(rng, 3 * 6);
    const a2 = randomValues(rng, 2 * 4);
    // The same buffer as b [6, 4] and, reshaped, [4, 6]: the stock cache (keyed by buffer) must not serve the second.
    const op = (): tf.Tensor[] => {
      const b = tf.tensor(bValues, [6, 4]);
      const first = tf.matMul(tf.tensor(a1, [3, 6]), b);
      const again = tf.matMul(tf.tensor(a1, [3, 6]), b);
      const reshaped = tf.matMul(tf.tensor(a2, [2, 4]), tf.reshape(b, [4, 6]));
      return [first, again, reshaped];
    };
    const expected = await runOn('cpu', op);
    const actual = await runOn('wasm', op);
    expected.forEach((e, i) => {
      assert.deepEqual(actual[i].shape, e.shape, `case ${i}`);
      assertClose(actual[i].values, e.values, 1e-5, `case ${i}`);
    });
  });

  it('returns zeros for an empty inner dimension and an empty result for an empty outer one', async () => {
    const [zero] = await runOn('wasm', () => tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4])));
    assert.deepEqual(zero.shape, [3, 4]);
    assert.ok(zero.values.every((v) => v === 0));
    const [empty] = await runOn('wasm', () => tf.matMul(tf.zeros([0, 5]), tf.ones([5, 4]), false, false));
    assert.deepEqual(empty.shape, [0, 4]);
  });

  it('gives the same gradients as cpu for transposed and batched products', async () => {
    const rng = new Rng(6);
    for (const [tA, tB] of TRANSPOSES) {
      const c = shapesFor(6, 5, 7, [2], [2], tA, tB);
      const aValues = randomValues(rng, tf.util.sizeFromShape(c.aShape));
      const bValues = randomValues(rng, tf.util.sizeFromShape(c.bShape));
      const wValues = randomValues(rng, 2 * 6 * 7);
      const grads = (): tf.Tensor[] => {
        const w = tf.tensor(wValues, [2, 6, 7]);
        const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.matMul(a, b, tA, tB), w));
        return tf.grads(f)([tf.tensor(aValues, c.aShape), tf.tensor(bValues, c.bShape)]);
      };
      const expected = await runOn('cpu', grads);
      const actual = await runOn('wasm', grads);
      for (let i = 0; i < 2; i++) assertClose(actual[i].values, expected[i].values, 1e-4, `grad ${i} tA=${tA} tB=${tB}`);
    }
  });

  it('leaks no tensors and no backend buffers', async () => {
    const a = tf.randomNormal([3, 9, 5]);
    const b = tf.randomNormal([3, 7, 9]);
    try {
      const buffersBefore = numDataIds();
      await expectNoLeak(() => {
        for (const [tA, tB] of TRANSPOSES) {
          tf.tidy(() => {
            tf.matMul(tA ? a : tf.transpose(a, [0, 2, 1]), tB ? b : tf.transpose(b, [0, 2, 1]), tA, tB);
          });
        }
      }, 'matMul');
      assert.equal(numDataIds(), buffersBefore);
    } finally {
      tf.dispose([a, b]);
    }
  });
});
