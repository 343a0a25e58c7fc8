import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { asWasmBackend, heapOffset } from '../../../src/backend/kernels/wasm-backend-internals';
import { ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GRAD, attentionSoftmaxKernelConfigs, hasKernel } from '../../../src/backend/native';
import { causalBias, maskedSoftmax, MASKED_SCORE, segmentBias } from '../../../src/model';
import { Rng } from '../../../src/random';
import { assertResultsClose, boom, expectStepsLeakNothing, numDataIds, randomValues, runOn, useWasmBackend, type Result } from '../backend-fixture';
import { expectKernels, requireNativeKernels, withoutNative } from './native-fixture';

/** One problem: scores [b, h, t, t], an upstream dy, and either the causal mask or a packed-segment one. */
interface Problem {
  shape: [number, number, number, number];
  scores: Float32Array;
  dy: Float32Array;
  /** Segment ids [b, t] for a [B, 1, T, T] mask; undefined for the causal [1, 1, T, T] one. */
  segments?: Int32Array;
}

function problem(b: number, h: number, t: number, seed: number, packed: boolean): Problem {
  const rng = new Rng(seed);
  const n = b * h * t * t;
  const scores = randomValues(rng, n).map((x) => 3 * x);
  // Segments of random lengths, ids increasing along each row.
  const segments = Int32Array.from({ length: b * t }, () => 0);
  for (let r = 0; r < b; r++) {
    for (let i = 1; i < t; i++) segments[r * t + i] = segments[r * t + i - 1] + (rng.float() < 0.25 ? 1 : 0);
  }
  return { shape: [b, h, t, t], scores, dy: randomValues(rng, n), segments: packed ? segments : undefined };
}

function maskOf(p: Problem): tf.Tensor4D {
  const [b, , t] = p.shape;
  if (p.segments === undefined) return causalBias(t);
  const { bias, positions } = segmentBias(tf.tensor2d(p.segments, [b, t], 'int32'));
  positions.dispose();
  return bias;
}

/** probs and d(Σ dy·probs)/d(scores) on the current backend. */
function probsAndGrad(p: Problem, mask: (p: Problem) => tf.Tensor4D = maskOf): tf.Tensor[] {
  const x = tf.tensor4d(p.scores, p.shape);
  const m = mask(p);
  const dy = tf.tensor4d(p.dy, p.shape);
  return [maskedSoftmax(x, m), tf.grad((z) => maskedSoftmax(z as tf.Tensor4D, m))(x, dy)];
}

function assertMatches(actual: Result[], expected: Result[], label: string): void {
  assertResultsClose(actual, expected, [{ name: 'probs', tol: 1e-6 }, { name: 'dscores', tol: 2e-6 }], label);
}

describe('fused attention softmax (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('registers forward and backward kernels, and maskedSoftmax runs them instead of Add, Softmax and its gradient', async () => {
    assert.ok(hasKernel(ATTENTION_SOFTMAX) && hasKernel(ATTENTION_SOFTMAX_GRAD));
    const p = problem(2, 2, 9, 1, false);
    await expectKernels(() => probsAndGrad(p), [ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GRAD], ['Softmax', 'Add', 'Sub', 'Sum']);
  });

  it('matches the cpu composite (probs and gradient) on awkward shapes with causal [1, 1, T, T] and packed [B, 1, T, T] masks', async () => {
    const shapes: Array<[number, number, number]> = [
      [1, 1, 1],
      [2, 3, 1],
      [1, 1, 5],
      [2, 2, 16],
      [3, 2, 17],
      [1, 4, 33],
      [2, 1, 64],
      [1, 2, 71],
    ];
    for (const [b, h, t] of shapes) {
      for (const packed of [false, true]) {
        const p = problem(b, h, t, b * 1000 + h * 100 + t, packed);
        const label = `[${b}, ${h}, ${t}, ${t}] ${packed ? 'packed' : 'causal'}`;
        assertMatches(await runOn('wasm', () => probsAndGrad(p)), await runOn('cpu', () => probsAndGrad(p)), label);
      }
    }
  });

  it('matches the composite on rows with every key masked (near-uniform), and on a [1, 1, Tq, Tk] mask with Tq ≠ Tk', async () => {
    const allMasked = (p: Problem): tf.Tensor4D => {
      const [, , t] = p.shape;
      const values = new Float32Array(t * t);
      for (let q = 0; q < t; q++) for (let k = 0; k < t; k++) values[q * t + k] = q % 3 === 1 || k > q ? MASKED_SCORE : 0;
      return tf.tensor4d(values, [1, 1, t, t]);
    };
    const p = problem(2, 2, 19, 7, false);
    assertMatches(await runOn('wasm', () => probsAndGrad(p, allMasked)), await runOn('cpu', () => probsAndGrad(p, allMasked)), 'all-masked rows');
    const [probs] = await runOn('wasm', () => probsAndGrad(p, allMasked));
    const row = Array.from(probs.values.slice(19, 2 * 19)); // query 1: every key masked
    assert.ok(Math.abs(row.reduce((a, v) => a + v, 0) - 1) < 1e-5 && row.every((v) => v > 0), `all-masked row sums to 1: ${row.join(', ')}`);

    const wide = { shape: [2, 3, 4, 11] as [number, number, number, number], scores: randomValues(new Rng(3), 264), dy: randomValues(new Rng(4), 264) };
    const keyMask = (): tf.Tensor4D => tf.tensor4d(Float32Array.from({ length: 44 }, (_, i) => (i % 11 > (i % 4) + 7 ? MASKED_SCORE : 0)), [1, 1, 4, 11]);
    assertMatches(await runOn('wasm', () => probsAndGrad(wide, keyMask)), await runOn('cpu', () => probsAndGrad(wide, keyMask)), 'Tq 4, Tk 11');
  });

  it('falls back to the composite for masks it does not take (per-head [B, H, T, T])', async () => {
    const p = problem(2, 2, 6, 9, false);
    const perHead = (): tf.Tensor4D => tf.tile(causalBias(6), [2, 2, 1, 1]) as tf.Tensor4D;
    await expectKernels(() => probsAndGrad(p, perHead), ['Softmax'], [ATTENTION_SOFTMAX]);
    assertMatches(await runOn('wasm', () => probsAndGrad(p, perHead)), await runOn('cpu', () => probsAndGrad(p)), 'per-head mask');
  });

  it('re-reads the heap when it grows between forward and backward; a stale heap view throws', async () => {
    const p = problem(2, 3, 20, 8, true);
    const backend = asWasmBackend(tf.backend());
    let grew = false;
    const actual = await runOn('wasm', () => {
      const x = tf.tensor4d(p.scores, p.shape);
      const m = maskOf(p);
      const dy = tf.tensor4d(p.dy, p.shape);
      const grad = tf.grad((z) => {
        const probs = maskedSoftmax(z as tf.Tensor4D, m);
        const stale = backend.wasm.HEAPU8;
        // Larger than the whole heap: it must grow, detaching every older view of it.
        tf.dispose(tf.zeros([stale.length / 4 + 1024]));
        grew = stale.byteLength === 0 && backend.wasm.HEAPU8.byteLength > 0;
        const out = tf.zeros(p.shape);
        assert.throws(() => addon().attentionSoftmax(stale, heapOffset(backend, z), heapOffset(backend, m), heapOffset(backend, out), 2, 3, 20, 20, 2), /outside the heap/);
        assert.throws(() => addon().attentionSoftmaxGrad(stale, heapOffset(backend, probs), heapOffset(backend, dy), heapOffset(backend, out), 120, 20), /outside the heap/);
        return probs;
      })(x, dy);
      return [maskedSoftmax(x, m), grad];
    });
    assert.ok(grew, 'the heap grew and detached the old view');
    assertMatches(actual, await runOn('cpu', () => probsAndGrad(p)), 'after growth');
  });

  it('leaks no tensors or data buffers, with and without the tape; a failing kernel frees its output', async () => {
    const p = problem(2, 2, 13, 4, true);
    const x = tf.tensor4d(p.scores, p.shape);
    const m = maskOf(p);
    const dy = tf.tensor4d(p.dy, p.shape);
    try {
      const step = (): void => {
        tf.dispose(maskedSoftmax(x, m));
        const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => tf.sum(tf.mul(maskedSoftmax(z as tf.Tensor4D, m), dy)))(x);
        tf.dispose([value, grad]);
      };
      const ids = expectStepsLeakNothing(step);
      const [forward, backward] = attentionSoftmaxKernelConfigs({ attentionSoftmax: boom, attentionSoftmaxGrad: boom });
      const backendArg = tf.backend();
      assert.throws(() => forward.kernelFunc({ inputs: { scores: x, mask: m }, backend: backendArg, attrs: {} }), /boom/);
      assert.throws(() => backward.kernelFunc({ inputs: { probs: x, dy }, backend: backendArg, attrs: {} }), /boom/);
      assert.throws(() => tf.engine().runKernel(ATTENTION_SOFTMAX, { scores: x, mask: dy }), /mask \[1 or B, 1, Tq, Tk\]/);
      assert.throws(() => tf.engine().runKernel(ATTENTION_SOFTMAX_GRAD, { probs: x, dy: m }), /one shape/);
      assert.equal(numDataIds(), ids, 'data buffers after failed kernels');
    } finally {
      tf.dispose([x, m, dy]);
    }
  });

  it('falls back to the unchanged composite when native is off', async () => {
    const p = problem(2, 3, 11, 6, true);
    const fused = await runOn('wasm', () => probsAndGrad(p));
    await withoutNative(async () => {
      assert.equal(hasKernel(ATTENTION_SOFTMAX), false);
      await expectKernels(() => probsAndGrad(p), ['Softmax'], [ATTENTION_SOFTMAX]);
      assertMatches(await runOn('wasm', () => probsAndGrad(p)), fused, 'composite vs fused');
    });
  });
});
