import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { asWasmBackend, heapOffset } from '../../../src/backend/kernels/wasm-backend-internals';
import { ATTENTION_CORE, ATTENTION_CORE_GRAD, attentionCoreKernelConfigs, hasKernel } from '../../../src/backend/native';
import { applyRope, applyRopePacked, causalBias, fusedAttention, maskedSoftmax, ropeTables, segmentBias, type RopeTables } from '../../../src/model';
import { Rng } from '../../../src/random';
import { tinyModel } from '../../model/helpers';
import { assertResultsClose, boom, expectStepsLeakNothing, numDataIds, randomValues, runOn, useWasmBackend, type Result } from '../backend-fixture';
import { expectKernels, requireNativeKernels, withoutNative } from './native-fixture';

/** One problem: qkv [b·t, 3·h·hd], an upstream dy [b·t, h·hd], and segment ids for a packed mask. */
interface Problem {
  b: number;
  t: number;
  h: number;
  hd: number;
  qkv: Float32Array;
  dy: Float32Array;
  /** Segment ids [b, t] for a [B, 1, T, T] mask; undefined for the causal [1, 1, T, T] one. */
  segments?: Int32Array;
}

function problem(b: number, t: number, h: number, hd: number, seed: number, packed: boolean): Problem {
  const rng = new Rng(seed);
  const d = h * hd;
  const segments = new Int32Array(b * t);
  for (let r = 0; r < b; r++) {
    for (let i = 1; i < t; i++) segments[r * t + i] = segments[r * t + i - 1] + (rng.float() < 0.25 ? 1 : 0);
  }
  return { b, t, h, hd, qkv: randomValues(rng, b * t * 3 * d).map((x) => 2 * x), dy: randomValues(rng, b * t * d), segments: packed ? segments : undefined };
}

function maskOf(p: Problem): tf.Tensor4D {
  if (p.segments === undefined) return causalBias(p.t);
  const { bias, positions } = segmentBias(tf.tensor2d(p.segments, [p.b, p.t], 'int32'));
  positions.dispose();
  return bias;
}

/** The model's composite: split, heads transposed, scaled q·kᵀ (RoPE on the heads), masked softmax, ·v, merged back. */
function composite(qkv: tf.Tensor2D, mask: tf.Tensor4D, p: Problem, rope?: RopeTables): tf.Tensor2D {
  const [q, k, v] = tf.split(qkv, 3, 1);
  const toHeads = (x: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(x, [p.b, p.t, p.h, p.hd]), [0, 2, 1, 3]);
  const rotate = (x: tf.Tensor4D): tf.Tensor4D => (rope === undefined ? x : applyRope(x, rope));
  const probs = maskedSoftmax(tf.matMul(rotate(toHeads(tf.mul(q, 1 / Math.sqrt(p.hd)))), rotate(toHeads(k)), false, true), mask);
  return tf.reshape(tf.transpose(tf.matMul(probs, toHeads(v)), [0, 2, 1, 3]), [p.b * p.t, p.h * p.hd]);
}

/** out and d(Σ dy·out)/d(qkv), by `attend`. */
function outAndGrad(p: Problem, attend: (qkv: tf.Tensor2D, mask: tf.Tensor4D) => tf.Tensor2D): tf.Tensor[] {
  const x = tf.tensor2d(p.qkv, [p.b * p.t, 3 * p.h * p.hd]);
  const m = maskOf(p);
  const dy = tf.tensor2d(p.dy, [p.b * p.t, p.h * p.hd]);
  return [attend(x, m), tf.grad((z) => attend(z as tf.Tensor2D, m))(x, dy)];
}

function fused(p: Problem): (qkv: tf.Tensor2D, mask: tf.Tensor4D) => tf.Tensor2D {
  return (qkv, mask) => {
    const out = fusedAttention(qkv, mask, p.b, p.h);
    assert.ok(out !== undefined, 'the fused path takes these operands');
    return out;
  };
}

function assertMatches(actual: Result[], expected: Result[], label: string): void {
  assertResultsClose(actual, expected, [{ name: 'out', tol: 1e-5 }, { name: 'dqkv', tol: 3e-5 }], label);
}

describe('fused attention core (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('registers forward and backward kernels that replace the split, head transposes and concat', async () => {
    assert.ok(hasKernel(ATTENTION_CORE) && hasKernel(ATTENTION_CORE_GRAD));
    const p = problem(2, 9, 2, 4, 1, false);
    await expectKernels(() => outAndGrad(p, fused(p)), [ATTENTION_CORE, ATTENTION_CORE_GRAD], ['SplitV', 'Transpose', 'Concat', 'BatchMatMul']);
  });

  it('matches the cpu composite (output and qkv gradient) on awkward shapes, causal and packed masks', async () => {
    const shapes: Array<[number, number, number, number]> = [
      [1, 1, 1, 1],
      [2, 5, 2, 3],
      [1, 17, 4, 8],
      [3, 33, 2, 16],
      [2, 64, 4, 32],
      [1, 71, 3, 5],
      [1, 40, 1, 70],
    ];
    for (const [b, t, h, hd] of shapes) {
      for (const packed of [false, true]) {
        const p = problem(b, t, h, hd, b * 1000 + t * 10 + h, packed);
        const label = `b ${b}, t ${t}, heads ${h}, head dim ${hd}, ${packed ? 'packed' : 'causal'}`;
        assertMatches(await runOn('wasm', () => outAndGrad(p, fused(p))), await runOn('cpu', () => outAndGrad(p, (x, m) => composite(x, m, p))), label);
      }
    }
  });

  it('with RoPE applied in the packed layout, matches the composite that rotates each head', async () => {
    for (const packed of [false, true]) {
      const p = problem(2, 12, 3, 6, packed ? 78 : 77, packed);
      // Positions restart per document in packed rows, as the model derives them.
      const tables = (): RopeTables => {
        const positions = p.segments === undefined ? (tf.range(0, p.t, 1, 'int32').reshape([1, p.t]) as tf.Tensor2D) : segmentBias(tf.tensor2d(p.segments, [p.b, p.t], 'int32')).positions;
        return ropeTables(positions, p.hd, 10000);
      };
      const label = `RoPE, ${packed ? 'packed' : 'causal'}`;
      const actual = await runOn('wasm', () => outAndGrad(p, (x, m) => fused(p)(applyRopePacked(x, tables(), p.b, p.h), m)));
      assertMatches(actual, await runOn('cpu', () => outAndGrad(p, (x, m) => composite(x, m, p, tables()))), label);
    }
  });

  it('a GPT takes it with learned positions and with RoPE, and keeps the composite under attention dropout', async () => {
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], undefined, 'int32');
    try {
      for (const options of [{}, { position: 'rope' as const }]) {
        const model = tinyModel(options);
        await expectKernels(() => model.forward(ids), [ATTENTION_CORE], ['BatchMatMul']);
        model.dispose();
      }
      const dropping = tinyModel({ dropout: 0.1 });
      await expectKernels(() => dropping.forward(ids, { training: true, dropoutSeed: 1 }), ['BatchMatMul'], [ATTENTION_CORE]);
      await expectKernels(() => dropping.forward(ids), [ATTENTION_CORE], []);
      dropping.dispose();
    } finally {
      ids.dispose();
    }
  });

  it('is declined (undefined) for operands it does not take, and the kernels name what they expect', () => {
    const qkv = tf.zeros([6, 12]) as tf.Tensor2D;
    const mask = causalBias(3);
    try {
      assert.equal(fusedAttention(qkv, mask, 4, 2), undefined, 'rows not a multiple of the batch');
      assert.equal(fusedAttention(qkv, mask, 2, 5), undefined, 'width not 3 × heads × head dim');
      assert.equal(fusedAttention(qkv, causalBias(4), 2, 2), undefined, 'mask of another length');
      assert.throws(() => tf.engine().runKernel(ATTENTION_CORE, { qkv, mask }, { batch: 4, heads: 2, scale: 1 }), /expected float32 qkv \[B·T, 3·D\]/);
    } finally {
      tf.dispose([qkv, mask]);
    }
  });

  it('checks every range against the current heap: a stale view or an overlapping output throws', () => {
    const p = problem(2, 8, 2, 4, 5, true);
    const backend = asWasmBackend(tf.backend());
    tf.tidy(() => {
      const x = tf.tensor2d(p.qkv, [16, 24]);
      const m = maskOf(p);
      const out = tf.zeros([16, 8]);
      const probs = tf.zeros([2, 2, 8, 8]);
      const stale = backend.wasm.HEAPU8;
      tf.dispose(tf.zeros([stale.length / 4 + 1024])); // grows the heap, detaching `stale`
      const off = (t: tf.Tensor): number => heapOffset(backend, t);
      const heap = backend.wasm.HEAPU8;
      assert.throws(() => addon().attentionCore(stale, off(x), off(m), off(out), off(probs), 2, 8, 2, 4, 2, 0.5), /outside the heap/);
      assert.throws(() => addon().attentionCoreGrad(stale, off(x), off(probs), off(out), off(x), 2, 8, 2, 4, 0.5), /outside the heap/);
      assert.throws(() => addon().attentionCore(heap, off(x), off(m), off(x), off(probs), 2, 8, 2, 4, 2, 0.5), /overlaps/);
      assert.throws(() => addon().attentionCoreGrad(heap, off(x), off(probs), off(out), off(x), 2, 8, 2, 4, 0.5), /overlaps/);
      assert.throws(() => addon().attentionCore(heap, off(x), off(m), off(out), off(probs), 2, 8, 2, 4, 3, 0.5), /maskBatch must be 1 or batch/);
    });
  });

  it('leaks no tensors or data buffers, with and without the tape; a failing kernel frees its outputs', () => {
    const p = problem(2, 13, 2, 4, 4, true);
    const x = tf.tensor2d(p.qkv, [26, 24]);
    const m = maskOf(p);
    const dy = tf.tensor2d(p.dy, [26, 8]);
    try {
      const step = (): void => {
        tf.dispose(fused(p)(x, m));
        const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => tf.sum(tf.mul(fused(p)(z as tf.Tensor2D, m), dy)))(x);
        tf.dispose([value, grad]);
      };
      const ids = expectStepsLeakNothing(step);
      const [forward, backward] = attentionCoreKernelConfigs({ attentionCore: boom, attentionCoreGrad: boom });
      const attrs = { batch: 2, heads: 2, scale: 0.5 };
      assert.throws(() => forward.kernelFunc({ inputs: { qkv: x, mask: m }, backend: tf.backend(), attrs }), /boom/);
      const probs = tf.zeros([2, 2, 13, 13]);
      assert.throws(() => backward.kernelFunc({ inputs: { qkv: x, probs, dy }, backend: tf.backend(), attrs }), /boom/);
      probs.dispose();
      assert.equal(numDataIds(), ids, 'data buffers after failed kernels');
      assert.deepEqual(attentionCoreKernelConfigs({}), [], 'an addon built before these kernels registers none');
    } finally {
      tf.dispose([x, m, dy]);
    }
  });

  it('is not registered when native is off: the model runs its composite', async () => {
    await withoutNative(async () => {
      assert.equal(hasKernel(ATTENTION_CORE), false);
      const p = problem(1, 4, 2, 2, 3, false);
      const qkv = tf.tensor2d(p.qkv, [4, 12]);
      const mask = causalBias(4);
      assert.equal(fusedAttention(qkv, mask, 1, 2), undefined);
      tf.dispose([qkv, mask]);
    });
  });
});
