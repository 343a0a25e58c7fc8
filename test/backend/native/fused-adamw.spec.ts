import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { asWasmBackend, heapOffset, type WasmBackendInternals } from '../../../src/backend/kernels/wasm-backend-internals';
import { ADAM_UPDATE_KERNEL, adamWKernelConfigs, type AdamUpdateAttrs } from '../../../src/backend/native';
import { crossEntropyLoss, GptModel } from '../../../src/model';
import { AdamWOptimizer } from '../../../src/optim';
import { adamUpdate } from '../../../src/optim/adam-update';
import { clipByGlobalNorm } from '../../../src/optim/clip-by-global-norm';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { boom, numDataIds, randomValues, useWasmBackend } from '../backend-fixture';
import { countingFusedAdamCalls, withoutFusedAdam } from './fused-adamw-fixture';
import { requireNativeKernels } from './native-fixture';

const ATTRS: AdamUpdateAttrs = {
  stepSizes: [1e-2 / (1 - 0.9)],
  bias2Sqrts: [Math.sqrt(1 - 0.999)],
  decays: [true],
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  decay: 'decoupled',
  decayValue: 1 - 1e-2 * 0.1,
};

/** Forces the wasm heap to grow (a malloc larger than the heap; its pages are never touched), detaching every older view. */
function growHeap(backend: WasmBackendInternals): void {
  const stale = backend.wasm.HEAPU8;
  const big = backend.makeOutput([stale.length / 4 + 1024], 'float32');
  backend.disposeData(big.dataId);
  assert.equal(stale.byteLength, 0, 'the heap grew and detached the old view');
}

/** Trains a small GPT with AdamW (clipped gradients, decay on weights only); returns the losses. */
async function trainLosses(steps: number): Promise<number[]> {
  const model = new GptModel({ vocabSize: 31, maxLength: 24, layers: 2, heads: 2, dim: 32, ffnDim: 64 }, new Rng(5));
  const opt = new AdamWOptimizer({ weightDecay: 0.1 });
  const rng = new Rng(9);
  const rows = Array.from({ length: 4 }, () => Array.from({ length: 24 }, () => rng.int(31)));
  const ids = tf.tensor2d(rows, undefined, 'int32');
  const weights = tf.ones([4, 24]) as tf.Tensor2D;
  const entries = [...model.params];
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const { value, grads } = tf.variableGrads(() => crossEntropyLoss(model.forward(ids), ids, weights), entries.map(([, v]) => v));
      const named = new Map(entries.map(([n, v]) => [n, grads[v.name]]));
      const clipped = clipByGlobalNorm(named, 0.5);
      opt.applyGradients(model.params, clipped.grads, 3e-3);
      losses.push((await value.data())[0]);
      tf.dispose([value, clipped.norm, ...Object.values(grads), ...clipped.grads.values()]);
    }
  } finally {
    opt.dispose();
    model.dispose();
    tf.dispose([ids, weights]);
  }
  return losses;
}

describe('fused AdamW kernel (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('re-reads the heap when allocating its outputs grows it; a stale heap view throws', () => {
    const backend = asWasmBackend(tf.backend());
    const values = randomValues(new Rng(1), 37);
    const [p, g] = [tf.tensor(values), tf.tensor(values.map((x) => x * 0.5))];
    try {
      const [config] = adamWKernelConfigs(addon());
      // A backend whose first allocation grows the heap, as a big step's outputs can.
      let grown = false;
      const growing = Object.create(backend) as WasmBackendInternals;
      growing.makeOutput = (shape, dtype) => {
        if (!grown) growHeap(backend);
        grown = true;
        return backend.makeOutput(shape, dtype);
      };
      const outs = config.kernelFunc({ inputs: { param0: p, grad0: g }, backend: growing as never, attrs: ATTRS as unknown as NamedAttrMap }) as TensorInfo[];
      const [newP, m, v] = outs.map((o) => tf.engine().makeTensorFromTensorInfo(o));
      const want = tf.tidy(() => adamUpdate({ value: p.mul(ATTRS.decayValue), grad: g, m: undefined, v: undefined, lr: 1e-2, step: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8 }));
      assertClose(newP.dataSync(), want.value.dataSync(), 1e-6, 'param after growth');
      assertClose(m.dataSync(), want.m.dataSync(), 1e-6, 'm after growth');
      assertClose(v.dataSync(), want.v.dataSync(), 1e-6, 'v after growth');
      tf.dispose([newP, m, v, want.value, want.m, want.v]);

      const stale = backend.wasm.HEAPU8;
      const out = tf.zeros([3 * 37]);
      growHeap(backend);
      const table = Float64Array.of(heapOffset(backend, p), heapOffset(backend, g), -1, -1, ...[0, 1, 2].map((k) => heapOffset(backend, out) + 4 * 37 * k), 37, 1, 1, 0);
      const hyper = Float64Array.of(0.9, 0.1, 0.999, 0.001, 1e-8, 0, 0, -1);
      assert.throws(() => addon().adamUpdate(stale, table, hyper), /outside the heap/);
      addon().adamUpdate(backend.wasm.HEAPU8, table, hyper);
      out.dispose();
    } finally {
      tf.dispose([p, g]);
    }
  });

  it('checks its inputs, and frees its outputs when the addon throws', () => {
    const p = tf.tensor([1, 2, 3]);
    const g = tf.tensor([0.1, 0.2, 0.3]);
    const short = tf.tensor([0.1, 0.2]);
    const ints = tf.tensor([1, 2, 3], undefined, 'int32');
    try {
      const ids = numDataIds();
      const run = (inputs: Record<string, tf.Tensor>, attrs: AdamUpdateAttrs = ATTRS): unknown =>
        tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs as tf.NamedTensorMap, attrs as unknown as NamedAttrMap);
      assert.throws(() => run({ param0: p, grad0: short }), /'grad0' has 2 values, its param 3/);
      assert.throws(() => run({ param0: p, grad0: g, m0: ints }), /'m0' must be float32/);
      assert.throws(() => run({ grad0: g }), /'param0' is missing/);
      assert.throws(() => run({ param0: p, grad0: g, scale: g }), /'scale' must be one float32 value/);
      assert.throws(() => run({ param0: p, grad0: g }, { ...ATTRS, decays: [] }), /one entry per variable/);
      const [config] = adamWKernelConfigs({ adamUpdate: boom });
      assert.throws(() => config.kernelFunc({ inputs: { param0: p, grad0: g }, backend: tf.backend(), attrs: ATTRS as unknown as NamedAttrMap }), /boom/);
      assert.equal(numDataIds(), ids, 'data buffers after failed kernels');
    } finally {
      tf.dispose([p, g, short, ints]);
    }
  });

  it('trains a GPT with the same losses as without the fused update, with a flat tensor count', async () => {
    const before = tf.memory().numTensors;
    const { result: fused, calls } = await countingFusedAdamCalls(() => trainLosses(6));
    assert.equal(calls, 6, 'one fused update per step');
    assert.equal(tf.memory().numTensors, before, 'tensors after the fused run');
    const unfused = await withoutFusedAdam(() => trainLosses(6));
    assertClose(fused, unfused, 1e-5, 'losses fused vs op-by-op update');
    assert.ok(fused[5] < fused[0], `loss decreases: ${fused.join(', ')}`);
  });
});
