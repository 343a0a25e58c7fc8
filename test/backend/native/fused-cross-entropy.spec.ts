import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { asWasmBackend, heapOffset } from '../../../src/backend/kernels/wasm-backend-internals';
import { crossEntropyKernelConfigs, hasKernel, SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD } from '../../../src/backend/native';
import { crossEntropyLoss, tokenCrossEntropy } from '../../../src/model';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { boom, expectStepsLeakNothing, numDataIds, randomValues, runOn, useWasmBackend, type Result } from '../backend-fixture';
import { expectKernels, requireNativeKernels, withoutNative } from './native-fixture';

/** One cross-entropy problem: logits [b, t, v], labels (some out of range), weights (some 0), upstream dy. */
interface Problem {
  b: number;
  t: number;
  v: number;
  logits: Float32Array;
  labels: Int32Array;
  weights: Float32Array;
  dy: Float32Array;
}

function problem(b: number, t: number, v: number, seed: number, logitScale = 3): Problem {
  const rng = new Rng(seed);
  const n = b * t;
  const logits = randomValues(rng, n * v).map((x) => x * logitScale);
  // Every fifth token ignored (−100), every seventh one past the vocabulary; weight 0 every fourth.
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 5 === 2 ? -100 : i % 7 === 5 ? v + (i % 3) : rng.int(v)));
  const weights = Float32Array.from({ length: n }, (_, i) => (i % 4 === 1 ? 0 : 0.25 + rng.float()));
  return { b, t, v, logits, labels, weights, dy: randomValues(rng, n) };
}

/** Per-token losses, the weighted loss, d(loss)/d(logits) and d(Σ dy·tokens)/d(logits) on the current backend. */
function lossesAndGrads(p: Problem): tf.Tensor[] {
  const x = tf.tensor3d(p.logits, [p.b, p.t, p.v]);
  const l = tf.tensor2d(p.labels, [p.b, p.t], 'int32');
  const w = tf.tensor2d(p.weights, [p.b, p.t]);
  const dy = tf.tensor2d(p.dy, [p.b, p.t]);
  return [
    tokenCrossEntropy(x, l),
    crossEntropyLoss(x, l, w),
    tf.grad((z) => crossEntropyLoss(z as tf.Tensor3D, l, w))(x),
    tf.grad((z) => tokenCrossEntropy(z as tf.Tensor3D, l))(x, dy),
  ];
}

function assertMatches(actual: Result[], expected: Result[], label: string, lossTol: number): void {
  const names = ['per-token loss', 'weighted loss', 'd(loss)/d(logits)', 'd(tokens)/d(logits) with dy'];
  actual.forEach((a, i) => {
    assert.deepEqual(a.shape, expected[i].shape, `${label} ${names[i]} shape`);
    assertClose(a.values, expected[i].values, i < 2 ? lossTol : 2e-6, `${label} ${names[i]}`);
  });
}

describe('fused softmax cross-entropy (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('registers forward and backward kernels, and tokenCrossEntropy runs them instead of the composite', async () => {
    assert.ok(hasKernel(SOFTMAX_CROSS_ENTROPY) && hasKernel(SOFTMAX_CROSS_ENTROPY_GRAD));
    const p = problem(2, 3, 37, 1);
    await expectKernels(() => lossesAndGrads(p), [SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD], ['Exp', 'Max', 'OneHot', 'Log']);
  });

  it('matches the cpu composite (losses and gradients) on awkward shapes, ignored labels and zero weights', async () => {
    const shapes: Array<[number, number, number]> = [
      [2, 3, 37],
      [1, 1, 2],
      [3, 5, 16],
      [2, 7, 257],
      [4, 33, 256],
      [1, 9, 15],
      [2, 4, 8],
    ];
    for (const [b, t, v] of shapes) {
      const p = problem(b, t, v, b * 1000 + t * 10 + v);
      assertMatches(await runOn('wasm', () => lossesAndGrads(p)), await runOn('cpu', () => lossesAndGrads(p)), `[${b}, ${t}, ${v}]`, 2e-5);
    }
  });

  it('handles V = 1 (which the composite rejects: oneHot needs depth ≥ 2): loss 0, gradient 0', async () => {
    const p = problem(2, 3, 1, 12);
    p.labels.set([0, -100, 0, 1, 0, 0]);
    const [tokens, loss, dLoss, dTokens] = await runOn('wasm', () => lossesAndGrads(p));
    assert.deepEqual(tokens.shape, [2, 3]);
    assert.deepEqual(dLoss.shape, [2, 3, 1]);
    for (const r of [tokens, loss, dLoss, dTokens]) assert.ok(r.values.every((value) => value === 0), Array.from(r.values).join(', '));
  });

  it('stays finite and matches cpu for logits of ±80 (no overflow in exp)', async () => {
    for (const v of [17, 64]) {
      const p = problem(2, 6, v, 40 + v);
      const rng = new Rng(v);
      p.logits = p.logits.map(() => (rng.float() < 0.5 ? -80 : 80) * rng.float());
      p.logits.fill(-80, 0, v).fill(80, 0, 1); // a row with one logit at 80, the rest at −80
      p.labels[0] = 0;
      p.labels[1] = v - 1;
      const actual = await runOn('wasm', () => lossesAndGrads(p));
      for (const r of actual) assert.ok(r.values.every(Number.isFinite), `finite, V ${v}`);
      assertMatches(actual, await runOn('cpu', () => lossesAndGrads(p)), `±80 V ${v}`, 1e-4);
    }
  });

  it('gives out-of-range labels a zero loss and a zero gradient row, like the composite', async () => {
    const p = problem(1, 6, 21, 3);
    p.labels.set([-100, 21, -1, 1000, 0, 20]);
    const [tokens, , , dLogits] = await runOn('wasm', () => lossesAndGrads(p));
    assert.deepEqual(Array.from(tokens.values.slice(0, 4)), [0, 0, 0, 0]);
    assert.ok(tokens.values[4] > 0 && tokens.values[5] > 0);
    assert.ok(dLogits.values.slice(0, 4 * 21).every((g) => g === 0), 'zero gradient rows');
    assert.ok(dLogits.values.slice(4 * 21).some((g) => g !== 0));
  });

  it('shows a NaN or +inf logit as a NaN loss and gradient row, like the composite; ignored rows stay 0', async () => {
    for (const bad of [NaN, Infinity]) {
      const p = problem(1, 4, 40, 5);
      p.labels.set([3, 3, -100, 7]);
      p.logits[0 * 40 + 17] = bad; // row 0: vector body (the first 32 columns)
      p.logits[1 * 40 + 38] = bad; // row 1: scalar tail
      p.logits[2 * 40 + 5] = bad; // row 2: ignored label
      const [tokens, , , dLogits] = await runOn('wasm', () => lossesAndGrads(p));
      const [cpuTokens, , , cpuDLogits] = await runOn('cpu', () => lossesAndGrads(p));
      const row = (values: Result['values'], r: number): number[] => Array.from(values.slice(r * 40, (r + 1) * 40));
      for (const r of [0, 1]) {
        assert.ok(Number.isNaN(tokens.values[r]) && Number.isNaN(cpuTokens.values[r]), `${bad} row ${r} loss`);
        assert.ok(row(dLogits.values, r).every(Number.isNaN) && row(cpuDLogits.values, r).every(Number.isNaN), `${bad} row ${r} gradient`);
      }
      assert.equal(tokens.values[2], 0);
      assert.ok(row(dLogits.values, 2).every((g) => g === 0));
      assertClose(row(dLogits.values, 3), row(cpuDLogits.values, 3), 2e-6, `${bad} clean row`);
    }
  });

  it('re-reads the heap when it grows between forward and backward; a stale heap view throws', async () => {
    const p = problem(3, 4, 50, 8);
    const backend = asWasmBackend(tf.backend());
    let grew = false;
    const actual = await runOn('wasm', () => {
      const x = tf.tensor3d(p.logits, [p.b, p.t, p.v]);
      const l = tf.tensor2d(p.labels, [p.b, p.t], 'int32');
      const dy = tf.tensor2d(p.dy, [p.b, p.t]);
      const grad = tf.grad((z) => {
        const tokens = tokenCrossEntropy(z as tf.Tensor3D, l);
        const stale = backend.wasm.HEAPU8;
        // Larger than the whole heap: it must grow, detaching every older view of it.
        tf.dispose(tf.zeros([stale.length / 4 + 1024]));
        grew = stale.byteLength === 0 && backend.wasm.HEAPU8.byteLength > 0;
        const stats = heapOffset(backend, tf.zeros([p.b * p.t, 2]));
        assert.throws(
          () => addon().softmaxCrossEntropy(stale, heapOffset(backend, z), heapOffset(backend, l), heapOffset(backend, tokens), stats, p.b * p.t, p.v),
          /outside the heap/,
        );
        return tokens;
      })(x, dy);
      return [tokenCrossEntropy(x, l), grad];
    });
    assert.ok(grew, 'the heap grew and detached the old view');
    const expected = await runOn('cpu', () => lossesAndGrads(p));
    assertClose(actual[0].values, expected[0].values, 2e-5, 'per-token loss after growth');
    assertClose(actual[1].values, expected[3].values, 2e-6, 'gradient after growth');
  });

  it('leaks no tensors or data buffers, with and without the tape; a failing kernel frees its outputs', async () => {
    const p = problem(2, 5, 33, 4);
    const x = tf.tensor3d(p.logits, [p.b, p.t, p.v]);
    const l = tf.tensor2d(p.labels, [p.b, p.t], 'int32');
    const w = tf.tensor2d(p.weights, [p.b, p.t]);
    try {
      const step = (): void => {
        tf.dispose(tokenCrossEntropy(x, l));
        const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => crossEntropyLoss(z as tf.Tensor3D, l, w))(x);
        tf.dispose([value, grad]);
      };
      const ids = expectStepsLeakNothing(step);
      const [forward, backward] = crossEntropyKernelConfigs({ softmaxCrossEntropy: boom, softmaxCrossEntropyGrad: boom });
      const stats = tf.zeros([p.b * p.t, 2]);
      const dy = tf.zeros([p.b, p.t]);
      const backendArg = tf.backend();
      assert.throws(() => forward.kernelFunc({ inputs: { logits: x, labels: l }, backend: backendArg, attrs: {} }), /boom/);
      assert.throws(() => backward.kernelFunc({ inputs: { logits: x, labels: l, stats, dy }, backend: backendArg, attrs: {} }), /boom/);
      assert.throws(() => tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits: x, labels: w }), /labels must be int32/);
      tf.dispose([stats, dy]);
      assert.equal(numDataIds(), ids, 'data buffers after failed kernels');
    } finally {
      tf.dispose([x, l, w]);
    }
  });

  it('falls back to the unchanged composite when native is off', async () => {
    const p = problem(2, 3, 19, 6);
    const fused = await runOn('wasm', () => lossesAndGrads(p));
    await withoutNative(async () => {
      assert.equal(hasKernel(SOFTMAX_CROSS_ENTROPY), false);
      await expectKernels(() => lossesAndGrads(p), ['OneHot'], [SOFTMAX_CROSS_ENTROPY]);
      assertMatches(await runOn('wasm', () => lossesAndGrads(p)), fused, 'composite vs fused', 2e-5);
    });
  });
});
