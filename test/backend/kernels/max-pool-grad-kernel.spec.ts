import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { registerWasmKernelOverrides, unregisterWasmKernelOverrides } from '../../../src/backend';
import { Rng } from '../../../src/random';
import { assertLayersGradsMatchCpu, assertSameBits, expectStepsLeakNothing, numDataIds, poolInputs, randomValues, runOn, useWasmBackend } from '../backend-fixture';

type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
interface Geometry {
  x: Shape4;
  window: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  rounding?: 'ceil' | 'floor' | 'round';
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** dx of `sum(maxPool(x) · w)`: the gradient tf.layers training sends through MaxPoolGrad, with a distinct dy per window. */
function poolGrad(g: Geometry, x: Float32Array, w: Float32Array): () => tf.Tensor {
  const pool = (a: tf.Tensor4D): tf.Tensor4D => tf.maxPool(a, g.window, g.strides, g.pad as 'valid', g.rounding);
  return () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a as tf.Tensor4D), tf.tensor(w, pool(a as tf.Tensor4D).shape))))(tf.tensor4d(x, g.x));
}

function outSize(g: Geometry): number {
  return size(tf.backend_util.computePool2DInfo(g.x, g.window, g.strides, 1, g.pad, g.rounding).outShape);
}

const inputs = poolInputs('negative', 'mixed', 'tied negative', 'tied 0/1', 'zeros');

const geometries: Record<string, Geometry> = {
  '2x2, stride 1, valid (overlapping)': { x: [2, 5, 6, 3], window: 2, strides: 1, pad: 'valid' },
  '2x2, stride 2, valid': { x: [2, 6, 7, 3], window: 2, strides: 2, pad: 'valid' },
  '3x3, stride 1, same': { x: [2, 5, 7, 2], window: 3, strides: 1, pad: 'same' },
  '3x3, stride 2, same (overlapping)': { x: [1, 8, 7, 4], window: 3, strides: 2, pad: 'same' },
  '3x3, stride 2, valid (overlapping)': { x: [2, 7, 9, 2], window: 3, strides: 2, pad: 'valid' },
  '2x3, strides [1, 2], same': { x: [2, 6, 9, 2], window: [2, 3], strides: [1, 2], pad: 'same' },
  '3x3, stride 2, explicit padding 1': { x: [2, 7, 6, 2], window: 3, strides: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  '3x3, stride 1, numeric pad 1': { x: [1, 6, 6, 3], window: 3, strides: 1, pad: 1 },
};

describe('MaxPoolGrad wasm kernel', () => {
  // The JS kernel, also where the native addon is active (native-max-pool-grad.spec.ts compares the two bit for bit).
  useWasmBackend({ kernels: 'js' });

  Object.entries(geometries).forEach(([geometry, g], i) => {
    it(`gives cpu's dx bit for bit, on negative, mixed, tied and zero inputs: ${geometry}`, async () => {
      for (const [kind, make] of Object.entries(inputs)) {
        const rng = new Rng(300 + i);
        const x = make(rng, size(g.x));
        const w = randomValues(rng, outSize(g));
        const [expected] = await runOn('cpu', poolGrad(g, x, w));
        const [actual] = await runOn('wasm', poolGrad(g, x, w));
        assertSameBits(actual, expected, `${geometry}, ${kind}`);
      }
    });
  });

  // One window per case, dy = 1: which pixel gets the gradient.
  const windows: Array<[string, number[], number[]]> = [
    ['all negative: the largest', [-3, -1, -2, -4], [0, 1, 0, 0]],
    ['tied maxima: the first in row-major order', [-2, -1, -1, -2], [0, 1, 0, 0]],
    ['tied positive maxima: the first', [0, 1, 1, 0], [0, 1, 0, 0]],
    ['-0 and 0 tie: the first', [-0, 0, -1, 0], [1, 0, 0, 0]],
    ['NaN is skipped', [NaN, -5, -7, NaN], [0, 1, 0, 0]],
    ['only NaN: none', [NaN, NaN, NaN, NaN], [0, 0, 0, 0]],
    ['only -Infinity: none', [-Infinity, -Infinity, -Infinity, -Infinity], [0, 0, 0, 0]],
    ['Infinity ties: the first', [1, Infinity, Infinity, 0], [0, 1, 0, 0]],
  ];
  windows.forEach(([name, x, dx]) => {
    it(`routes a window's gradient like cpu: ${name}`, async () => {
      const g: Geometry = { x: [1, 2, 2, 1], window: 2, strides: 1, pad: 'valid' };
      const op = poolGrad(g, Float32Array.from(x), Float32Array.of(1));
      const [expected] = await runOn('cpu', op);
      const [actual] = await runOn('wasm', op);
      assert.deepEqual([...expected.values], dx, 'cpu (the reference) changed');
      assertSameBits(actual, expected, name);
    });
  });

  it("never gives the gradient to padding ('same' and explicit padding, all-negative row)", async () => {
    for (const pad of ['same', [[0, 0], [1, 1], [1, 1], [0, 0]]] as Pad[]) {
      const g: Geometry = { x: [1, 1, 3, 1], window: 2, strides: 1, pad };
      // dy = 1, 2, 4, ...: each window's share is visible in the sum dx gets.
      const op = poolGrad(g, Float32Array.of(-3, -1, -2), Float32Array.from({ length: outSize(g) }, (_, k) => 2 ** k));
      const [expected] = await runOn('cpu', op);
      const [actual] = await runOn('wasm', op);
      assertSameBits(actual, expected, `pad ${JSON.stringify(pad)}`);
    }
  });

  it("gives the gradient of a pool rounded up ('ceil'), which tfjs-core's gradient forgets and cpu truncates", async () => {
    const rng = new Rng(330);
    const ceil: Geometry = { x: [2, 8, 7, 2], window: 3, strides: 2, pad: 0, rounding: 'ceil' };
    // The same windows (at 0, 2, 4, 6; the last one hangs over the edge), as explicit padding.
    const explicit: Geometry = { ...ceil, pad: [[0, 0], [0, 1], [0, 1], [0, 0]], rounding: undefined };
    assert.equal(outSize(ceil), outSize(explicit));
    const x = inputs.negative(rng, size(ceil.x));
    const w = randomValues(rng, outSize(ceil));
    const [expected] = await runOn('cpu', poolGrad(explicit, x, w));
    const [actual] = await runOn('wasm', poolGrad(ceil, x, w));
    assertSameBits(actual, expected, 'ceil');
    const [cpuCeil] = await runOn('cpu', poolGrad(ceil, x, w));
    assert.notDeepEqual([...cpuCeil.values], [...expected.values], 'cpu drops the last row and column of dy');
  });

  it('refuses a dy of the wrong shape or a bool input, naming what is allowed', () => {
    tf.tidy(() => {
      const input = tf.zeros([1, 5, 5, 2]);
      const attrs = { filterSize: 2, strides: 1, pad: 'valid' } as unknown as tf.NamedAttrMap;
      assert.throws(
        () => tf.engine().runKernel('MaxPoolGrad', { dy: tf.zeros([1, 3, 3, 2]), input, output: tf.zeros([1, 4, 4, 2]) }, attrs),
        /MaxPoolGrad on wasm: dy has shape \[1, 3, 3, 2\], expected \[1, 4, 4, 2\] for input \[1, 5, 5, 2\]/,
      );
      assert.throws(
        () => tf.engine().runKernel('MaxPoolGrad', { dy: tf.zeros([1, 4, 4, 2]), input: tf.zeros([1, 5, 5, 2], 'bool'), output: tf.zeros([1, 4, 4, 2]) }, attrs),
        /MaxPoolGrad on wasm: input has dtype bool; allowed: float32, int32/,
      );
    });
  });

  it('leaks no tensors or heap buffers', () => {
    const x = tf.randomNormal([2, 6, 5, 3]) as tf.Tensor4D;
    try {
      expectStepsLeakNothing(() => tf.tidy(() => void tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same')))(x)));
      const ids = numDataIds();
      assert.throws(() => tf.tidy(() => tf.engine().runKernel('MaxPoolGrad', { dy: tf.zeros([1, 3, 3, 1]), input: tf.zeros([1, 5, 5, 1]), output: tf.zeros([1, 4, 4, 1]) }, { filterSize: 2, strides: 1, pad: 'valid' } as unknown as tf.NamedAttrMap)));
      assert.equal(numDataIds(), ids, 'data buffers after a refusal');
    } finally {
      x.dispose();
    }
  });

  it('hands the stock kernel back in working order (unregisterWasmKernelOverrides, for comparisons with stock tfjs)', async () => {
    const g: Geometry = { x: [1, 4, 4, 2], window: 2, strides: 2, pad: 'valid' };
    // Distinct positive values: the one case the stock kernel gets right.
    const x = Float32Array.from({ length: size(g.x) }, (_, k) => 1 + ((k * 7) % 32));
    const op = poolGrad(g, x, Float32Array.from({ length: outSize(g) }, (_, k) => k + 1));
    const [expected] = await runOn('cpu', op);
    assert.equal(tf.getBackend(), 'wasm');
    unregisterWasmKernelOverrides();
    try {
      // No backend switch in between: tfjs runs setupFuncs only when it sets a backend, and the stock
      // kernel binds its wasm function in its own, so that must have run when wasm started.
      const dx = tf.tidy(op);
      const actual = { shape: dx.shape, values: dx.dataSync() as Float32Array };
      dx.dispose();
      assertSameBits(actual, expected, 'stock MaxPoolGrad');
    } finally {
      registerWasmKernelOverrides();
    }
  });

  it('lets a conv2d(tanh) + maxPooling2d tf.layers model train on wasm with the gradients cpu gives', async () => {
    const rng = new Rng(320);
    const features = randomValues(rng, 4 * 8 * 7 * 2);
    const labels = Int32Array.from({ length: 4 }, (_, i) => i % 3);
    await assertLayersGradsMatchCpu(
      () =>
        tf.sequential({
          layers: [
            // A negative bias makes many tanh outputs negative, so many pooling windows have a max below 0.
            tf.layers.conv2d({ inputShape: [8, 7, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), biasInitializer: tf.initializers.constant({ value: -0.5 }) }),
            tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
          ],
        }),
      features,
      [4, 8, 7, 2],
      labels,
      { label: 'conv kernel (its gradient flows back through the max pool)', accepts: (name) => name.includes('conv2d') && name.endsWith('kernel') },
    );
  });
});
