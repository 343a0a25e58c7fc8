import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { FLOE_GELU_TANH, FLOE_NORM, FLOE_NORM_GRAD, FLOE_SILU, GELU_NORM_KERNELS, hasKernel, syncFusedKernels } from '../../../src/backend/native';
import type { GptOptions } from '../../../src/model';
import { geluTanh, layerNorm, rmsNorm, silu } from '../../../src/model/layers';
import { Rng } from '../../../src/random';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { asWasmBackend, heapOffset } from '../../../src/backend/kernels/wasm-backend-internals';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';
import { expectKernels, randomRows, requireNativeKernels, trainGptLosses, withoutNative } from './native-fixture';

/** Runs `fn` with this family's kernels unregistered (the composite path), everything else as it is. */
async function withoutGeluNormKernels<T>(fn: () => Promise<T>): Promise<T> {
  for (const name of GELU_NORM_KERNELS) tf.unregisterKernel(name, 'wasm');
  try {
    return await fn();
  } finally {
    syncFusedKernels();
  }
}


const ACTIVATION_SHAPES = [[1], [3, 17], [2, 3, 5], [33, 129], [1, 1000]];
const NORM_SHAPES: Array<[number, number]> = [
  [1, 1],
  [1, 17],
  [5, 33],
  [70, 7],
  [130, 129],
  [16, 128],
];

/** y and dL/dx of `act` for L = Σ act(x)·r (a random upstream gradient). */
function activationCase(act: (x: tf.Tensor) => tf.Tensor, x: Float32Array, r: Float32Array, shape: number[]): () => tf.Tensor[] {
  return () => {
    const xt = tf.tensor(x, shape);
    const rt = tf.tensor(r, shape);
    const [dx] = tf.grads((v: tf.Tensor) => tf.sum(tf.mul(act(v), rt)))([xt]);
    return [act(xt), dx];
  };
}

/** y and the gradients of x, w (and b) of a norm for L = Σ y·r. */
function normCase(kind: 'layer' | 'rms', rng: Rng, rows: number, cols: number, explicitTranspose = false): () => tf.Tensor[] {
  const x = randomValues(rng, rows * cols).map((v) => 2 + 3 * v);
  const w = randomValues(rng, cols);
  const b = randomValues(rng, cols);
  const r = randomValues(rng, rows * cols);
  return () => {
    const options = { eps: 1e-5, explicitTranspose };
    const f = (xt: tf.Tensor, wt: tf.Tensor, bt?: tf.Tensor): tf.Tensor2D =>
      kind === 'layer' ? layerNorm(xt as tf.Tensor2D, wt as tf.Tensor1D, bt as tf.Tensor1D, options) : rmsNorm(xt as tf.Tensor2D, wt as tf.Tensor1D, options);
    const inputs = [tf.tensor2d(x, [rows, cols]), tf.tensor1d(w), ...(kind === 'layer' ? [tf.tensor1d(b)] : [])];
    const rt = tf.tensor2d(r, [rows, cols]);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(args[0], args[1], args[2]), rt)))(inputs);
    return [f(inputs[0], inputs[1], inputs[2]), ...grads];
  };
}

async function compare(f: () => tf.Tensor[], tol: number, label: string, reference: () => tf.Tensor[] = f): Promise<void> {
  const expected = await runOn('cpu', reference);
  const actual = await runOn('wasm', f);
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual(actual[i].shape, expected[i].shape, `${label} output ${i} shape`);
    assertClose(actual[i].values, expected[i].values, tol, `${label} output ${i}`);
  }
}

describe('fused GELU and LayerNorm kernels (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('registers on wasm only while native is active, and layers.ts runs them', async () => {
    for (const name of GELU_NORM_KERNELS) assert.ok(hasKernel(name), name);
    const x = randomValues(new Rng(1), 40);
    const fused = (): tf.Tensor[] => [geluTanh(tf.tensor2d(x, [5, 8])), silu(tf.tensor2d(x, [5, 8])), layerNorm(tf.tensor2d(x, [5, 8]), tf.ones([8]), tf.zeros([8]), { eps: 1e-5 })];
    await expectKernels(fused, [FLOE_GELU_TANH, FLOE_SILU, FLOE_NORM], ['Sigmoid', 'Mean']);
    // explicitTranspose keeps the composite reference path.
    await expectKernels(() => layerNorm(tf.tensor2d(x, [5, 8]), tf.ones([8]), tf.zeros([8]), { eps: 1e-5, explicitTranspose: true }), [], [FLOE_NORM]);
    await withoutNative(async () => {
      for (const name of GELU_NORM_KERNELS) assert.ok(!hasKernel(name), `${name} without native`);
    });
    await tf.setBackend('cpu');
    try {
      assert.ok(!hasKernel(FLOE_GELU_TANH), 'not on cpu');
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('matches the cpu composite for GELU-tanh and SiLU, values and gradients, on awkward shapes', async () => {
    const rng = new Rng(2);
    for (const shape of ACTIVATION_SHAPES) {
      const size = tf.util.sizeFromShape(shape);
      const x = randomValues(rng, size).map((v) => 3 * v);
      const r = randomValues(rng, size);
      await compare(activationCase(geluTanh, x, r, shape), 2e-5, `gelu [${shape}]`);
      await compare(activationCase(silu, x, r, shape), 2e-5, `silu [${shape}]`);
    }
  });

  it('matches the cpu composite and the explicit-transpose reference for LayerNorm and RMSNorm, values and gradients', async () => {
    for (const [rows, cols] of NORM_SHAPES) {
      for (const kind of ['layer', 'rms'] as const) {
        const label = `${kind} [${rows}, ${cols}]`;
        const tol = 1e-4 * Math.sqrt(rows);
        await compare(normCase(kind, new Rng(rows * cols), rows, cols), tol, `${label} vs cpu`);
        await compare(normCase(kind, new Rng(rows * cols), rows, cols), tol, `${label} vs explicitTranspose`, normCase(kind, new Rng(rows * cols), rows, cols, true));
      }
    }
  });

  it('leaks no tensors or backend buffers, with and without the tape', async () => {
    const rng = new Rng(3);
    const f = normCase('layer', rng, 9, 20);
    const g = activationCase(geluTanh, randomValues(rng, 60), randomValues(rng, 60), [3, 20]);
    const ids = numDataIds();
    await expectNoLeak(() => tf.tidy(() => [...f(), ...g()].forEach((t) => t.dataSync())), 'gradients');
    await expectNoLeak(() => tf.dispose(tf.tidy(() => rmsNorm(tf.ones([4, 6]) as tf.Tensor2D, tf.ones([6]) as tf.Tensor1D, { eps: 1e-6 }))), 'forward only');
    assert.equal(numDataIds(), ids, 'backend data buffers');
  });

  it('rejects what it cannot compute with a clear error', () => {
    tf.tidy(() => {
      const x = tf.ones([2, 3]);
      assert.throws(() => tf.engine().runKernel(FLOE_NORM, { x, weight: tf.ones([4]) }, { eps: 1e-5, centre: true }), /weight must hold 3 values/);
      assert.throws(() => tf.engine().runKernel(FLOE_GELU_TANH, { x: tf.ones([2, 3], 'int32') }, {}), /must be float32/);
      const gradInputs = { dy: x, x, weight: tf.ones([3]), mean: tf.ones([5]), rstd: tf.ones([2]) };
      assert.throws(() => tf.engine().runKernel(FLOE_NORM_GRAD, gradInputs, { centre: true, hasBias: false }), /mean and rstd/);
    });
  });

  it('re-reads the heap when it grows between forward and backward; a stale heap view throws', async () => {
    const rng = new Rng(4);
    const [rows, cols] = [31, 45];
    const [x, w, b] = [randomValues(rng, rows * cols), randomValues(rng, cols), randomValues(rng, cols)];
    let grew = false;
    const f = (grow: boolean) => (): tf.Tensor[] =>
      tf.grads((xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => {
        const y = geluTanh(layerNorm(xt as tf.Tensor2D, wt as tf.Tensor1D, bt as tf.Tensor1D, { eps: 1e-5 }));
        if (grow) {
          const backend = asWasmBackend(tf.backend());
          const stale = backend.wasm.HEAPU8;
          // Larger than the whole heap: it must grow, detaching every older view of it.
          tf.dispose(tf.zeros([stale.length / 4 + 1024]));
          grew = stale.byteLength === 0 && backend.wasm.HEAPU8.byteLength > 0;
          const out = heapOffset(backend, tf.zerosLike(y));
          assert.throws(() => addon().gateForward(stale, 0, heapOffset(backend, y), out, rows * cols), /outside the heap/);
        }
        return tf.sum(tf.mul(y, y));
      })([tf.tensor2d(x, [rows, cols]), tf.tensor1d(w), tf.tensor1d(b)]);
    const actual = await runOn('wasm', f(true));
    assert.ok(grew, 'the heap grew and detached the old view');
    const expected = await runOn('cpu', f(false));
    for (let i = 0; i < 3; i++) assertClose(actual[i].values, expected[i].values, 1e-3, `gradient ${i} after growth`);
  });

  for (const options of [{}, { norm: 'rmsnorm', activation: 'swiglu', position: 'rope', bias: false }] as Array<Partial<GptOptions>>) {
    it(`trains a GPT (${options.norm ?? 'layernorm'}, ${options.activation ?? 'gelu'}) with the losses of the composite path, flat tensor count`, async () => {
      const before = tf.memory().numTensors;
      const fused = await trainGptLosses({ options: { dim: 36, ffnDim: 76, ...options }, inputs: randomRows(3, 24, 31), steps: 6 });
      assert.equal(tf.memory().numTensors, before, 'tensors after the fused run');
      const composite = await withoutGeluNormKernels(() => trainGptLosses({ options: { dim: 36, ffnDim: 76, ...options }, inputs: randomRows(3, 24, 31), steps: 6 }));
      const pureWasm = await withoutNative(() => trainGptLosses({ options: { dim: 36, ffnDim: 76, ...options }, inputs: randomRows(3, 24, 31), steps: 6 }));
      assertClose(fused, composite, 1e-4, 'losses fused vs composite');
      assertClose(fused, pureWasm, 1e-4, 'losses fused vs JS wasm kernels');
      assert.ok(fused[5] < fused[0] - 0.05, `loss decreases: ${fused.join(', ')}`);
    });
  }
});
