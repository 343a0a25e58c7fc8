import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';
import { requireNativeKernels } from './native-fixture';

interface MatMulCase {
  aBatch: number[];
  bBatch: number[];
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  biasShape?: number[];
  activation?: 'linear' | 'relu' | 'relu6' | 'elu';
}

/**
 * Odd sizes, edges of the 8x32 / 6x16 tiles, depth across the 256-deep slices, rows across 192-row
 * panels; [40, 37, 70] and [16, 263, 96] give full slivers with a depth that is not a multiple of
 * 8, the tail of the 8×8 packing transposes.
 */
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [7, 5, 33],
  [13, 300, 17],
  [200, 40, 65],
  [9, 257, 31],
  [64, 32, 64],
  [40, 37, 70],
  [16, 263, 96],
];

function op(rng: Rng, c: MatMulCase): () => tf.Tensor {
  const aShape = [...c.aBatch, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
  const bShape = [...c.bBatch, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
  const a = randomValues(rng, tf.util.sizeFromShape(aShape));
  const b = randomValues(rng, tf.util.sizeFromShape(bShape));
  const bias = c.biasShape === undefined ? undefined : randomValues(rng, tf.util.sizeFromShape(c.biasShape));
  return () => {
    const ta = tf.tensor(a, aShape);
    const tb = tf.tensor(b, bShape);
    if (bias === undefined && c.activation === undefined) return tf.matMul(ta, tb, c.transposeA, c.transposeB);
    return tf.fused.matMul({
      a: ta,
      b: tb,
      transposeA: c.transposeA,
      transposeB: c.transposeB,
      bias: bias === undefined ? undefined : tf.tensor(bias, c.biasShape),
      activation: c.activation ?? 'linear',
    });
  };
}

async function check(rng: Rng, c: MatMulCase): Promise<void> {
  const f = op(rng, c);
  const [expected] = await runOn('cpu', f);
  const [actual] = await runOn('wasm', f);
  const label = JSON.stringify(c);
  assert.deepEqual(actual.shape, expected.shape, label);
  assertClose(actual.values, expected.values, 2e-4 * Math.sqrt(c.k), label);
}

describe('native BatchMatMul and _FusedMatMul (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  for (const isa of ['detected', 'avx2'] as const) {
    it(`matches cpu on odd shapes, both transposes and batches (${isa} micro-kernel)`, async function () {
      const detected = addon().info().detectedIsa;
      if (isa === 'avx2' && !addon().setIsa('avx2')) this.skip();
      try {
        const rng = new Rng(isa === 'avx2' ? 2 : 1);
        for (const [m, k, n] of SHAPES) {
          for (const transposeA of [false, true]) {
            for (const transposeB of [false, true]) {
              await check(rng, { aBatch: [], bBatch: [], m, k, n, transposeA, transposeB });
              await check(rng, { aBatch: [3], bBatch: [3], m, k, n, transposeA, transposeB });
            }
          }
        }
      } finally {
        addon().setIsa(detected);
      }
    });
  }

  it('broadcasts batch dims like tf.matMul (dense layer, shared operand, [2,1] x [3])', async () => {
    const rng = new Rng(3);
    await check(rng, { aBatch: [2, 3], bBatch: [], m: 5, k: 7, n: 9, transposeA: false, transposeB: true });
    await check(rng, { aBatch: [2, 3], bBatch: [], m: 5, k: 7, n: 9, transposeA: true, transposeB: false });
    await check(rng, { aBatch: [], bBatch: [4], m: 5, k: 7, n: 9, transposeA: false, transposeB: false });
    // tfjs's cpu kernel fills only part of the output for [2, 1] x [3]; compare with explicit broadcasts.
    const a = randomValues(rng, 2 * 4 * 6);
    const b = randomValues(rng, 3 * 5 * 4);
    const [actual] = await runOn('wasm', () => tf.matMul(tf.tensor(a, [2, 1, 4, 6]), tf.tensor(b, [3, 5, 4]), true, true));
    const [expected] = await runOn('cpu', () =>
      tf.matMul(tf.broadcastTo(tf.tensor(a, [2, 1, 4, 6]), [2, 3, 4, 6]), tf.broadcastTo(tf.tensor(b, [1, 3, 5, 4]), [2, 3, 5, 4]), true, true),
    );
    assert.deepEqual(actual.shape, [2, 3, 6, 5]);
    assertClose(actual.values, expected.values, 1e-4, '[2, 1] x [3]');
  });

  it('adds a bias with transposeA/transposeB correctly (the stock wasm kernel is off by up to ~1.8 there)', async () => {
    const rng = new Rng(4);
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        for (const activation of ['linear', 'relu', 'relu6'] as const) {
          await check(rng, { aBatch: [], bBatch: [], m: 13, k: 9, n: 37, transposeA, transposeB, biasShape: [37], activation });
          await check(rng, { aBatch: [2], bBatch: [2], m: 5, k: 11, n: 7, transposeA, transposeB, biasShape: [1, 7], activation });
        }
      }
    }
  });

  it('hands bias shapes and activations it does not fuse to the JS kernel', async () => {
    const rng = new Rng(5);
    await check(rng, { aBatch: [2], bBatch: [2], m: 5, k: 4, n: 6, transposeA: false, transposeB: true, biasShape: [5, 6], activation: 'relu' });
    await check(rng, { aBatch: [], bBatch: [], m: 5, k: 4, n: 6, transposeA: true, transposeB: false, biasShape: [6], activation: 'elu' });
  });

  it('gives matmul gradients equal to cpu and leaks nothing', async () => {
    const rng = new Rng(6);
    const a = randomValues(rng, 4 * 12 * 10);
    const b = randomValues(rng, 4 * 10 * 20);
    const bias = randomValues(rng, 20);
    const f = (): tf.Tensor[] => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => {
        const batched = tf.matMul(x, y).square().sum();
        const dense = tf.fused.matMul({ a: x.reshape([48, 10]), b: y.slice([0, 0, 0], [1, 10, 20]).reshape([10, 20]), bias: z, activation: 'relu' });
        return batched.add(dense.square().sum());
      });
      return g([tf.tensor(a, [4, 12, 10]), tf.tensor(b, [4, 10, 20]), tf.tensor(bias, [20])]);
    };
    const expected = await runOn('cpu', f);
    const actual = await runOn('wasm', f);
    for (let i = 0; i < 3; i++) assertClose(actual[i].values, expected[i].values, 1e-3, `grad ${i}`);
    const ids = numDataIds();
    await expectNoLeak(() => tf.tidy(() => f().map((t) => t.sum())).forEach((t) => t.dispose()), 'matmul gradient');
    assert.equal(numDataIds(), ids, 'backend data buffers');
  });

  it('keeps working after the wasm heap grows mid-run', async () => {
    const rng = new Rng(7);
    const backend = tf.engine().backend as unknown as { wasm: { HEAPU8: Uint8Array } };
    const before = backend.wasm.HEAPU8.buffer;
    await check(rng, { aBatch: [2], bBatch: [], m: 33, k: 40, n: 17, transposeA: false, transposeB: true });
    const big = tf.zeros([backend.wasm.HEAPU8.length / 4 + 7]); // larger than the whole heap (earlier suites may have grown it): forces memory.grow
    try {
      assert.notEqual(backend.wasm.HEAPU8.buffer, before, 'the heap grew (and the old buffer was replaced)');
      await check(rng, { aBatch: [2], bBatch: [], m: 33, k: 40, n: 17, transposeA: false, transposeB: true, biasShape: [17] });
    } finally {
      big.dispose();
    }
  });
});
