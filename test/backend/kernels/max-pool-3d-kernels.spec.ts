import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { registerWasmKernelOverrides, unregisterWasmKernelOverrides } from '../../../src/backend';
import { Rng } from '../../../src/random';
import { assertLayersGradsMatchCpu, assertSameBits, expectStepsLeakNothing, numDataIds, poolInputs, randomValues, runOn, useWasmBackend } from '../backend-fixture';

type Shape5 = [number, number, number, number, number];
type Triple = number | [number, number, number];
interface Geometry {
  x: Shape5;
  window: Triple;
  strides: Triple;
  pad: 'valid' | 'same' | number;
  rounding?: 'ceil' | 'floor' | 'round';
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const pool = (g: Geometry) => (a: tf.Tensor): tf.Tensor5D => tf.maxPool3d(a as tf.Tensor5D, g.window, g.strides, g.pad as 'valid', g.rounding);

/** The pooled values. */
function forward(g: Geometry, x: Float32Array): () => tf.Tensor {
  return () => pool(g)(tf.tensor(x, g.x));
}

/** dx of `sum(maxPool3d(x) · w)`: the gradient tf.layers training sends through MaxPool3DGrad, with a distinct dy per window. */
function poolGrad(g: Geometry, x: Float32Array, w: Float32Array): () => tf.Tensor {
  return () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(g)(a), tf.tensor(w, pool(g)(a).shape))))(tf.tensor(x, g.x));
}

function outSize(g: Geometry): number {
  return size(tf.backend_util.computePool3DInfo(g.x, g.window, g.strides, 1, g.pad, g.rounding).outShape);
}

const inputs = poolInputs('negative', 'mixed', 'tied negative', 'tied 0/1', 'mixed with NaN', 'zeros');

// Windows with equal height and width: cpu's gradient is right there (see the non-square case below).
const geometries: Record<string, Geometry> = {
  '2x2x2, stride 1, valid (overlapping)': { x: [2, 4, 5, 5, 2], window: 2, strides: 1, pad: 'valid' },
  '3x3x3, stride 2, same (overlapping)': { x: [2, 5, 5, 6, 2], window: 3, strides: 2, pad: 'same' },
  '2x3x3, strides [1, 2, 2], same': { x: [1, 4, 6, 7, 3], window: [2, 3, 3], strides: [1, 2, 2], pad: 'same' },
  '3x2x2, strides [2, 1, 1], valid': { x: [2, 7, 4, 5, 2], window: [3, 2, 2], strides: [2, 1, 1], pad: 'valid' },
  '3x3x3, stride 1, numeric pad 1': { x: [1, 4, 5, 4, 2], window: 3, strides: 1, pad: 1 },
  '2x2x2, stride 2, pad 0 rounded up (ceil)': { x: [1, 5, 5, 3, 2], window: 2, strides: 2, pad: 0, rounding: 'ceil' },
};

describe('MaxPool3D and MaxPool3DGrad wasm kernels', () => {
  useWasmBackend();

  Object.entries(geometries).forEach(([geometry, g], i) => {
    it(`give cpu's pooled values and dx bit for bit, on negative, mixed, tied, NaN and zero inputs: ${geometry}`, async () => {
      for (const [kind, make] of Object.entries(inputs)) {
        const rng = new Rng(400 + i);
        const x = make(rng, size(g.x));
        const w = randomValues(rng, outSize(g));
        for (const [name, op] of [['values', forward(g, x)], ['dx', poolGrad(g, x, w)]] as const) {
          const [expected] = await runOn('cpu', op);
          const [actual] = await runOn('wasm', op);
          assertSameBits(actual, expected, `${geometry}, ${kind}, ${name}`);
        }
      }
    });
  });

  // One 2x2x2 window per case, dy = 1: the pooled value, and which pixel gets the gradient.
  const windows: Array<[string, number[], number, number[]]> = [
    ['all negative: the largest', [-3, -1, -2, -4, -5, -6, -7, -8], -1, [0, 1, 0, 0, 0, 0, 0, 0]],
    ['tied maxima: the gradient goes to the last', [-2, -1, -1, -2, -3, -1, -4, -5], -1, [0, 0, 0, 0, 0, 1, 0, 0]],
    ['-0 then 0: the value of the first, the gradient to the last', [-0, -1, 0, -2, -3, -4, -5, -6], -0, [0, 0, 1, 0, 0, 0, 0, 0]],
    ['NaN is skipped', [NaN, -5, -7, NaN, -9, NaN, -8, -6], -5, [0, 1, 0, 0, 0, 0, 0, 0]],
    ['only NaN: -Infinity, no gradient', Array(8).fill(NaN), -Infinity, Array(8).fill(0)],
    ['only -Infinity: the gradient goes to the last', Array(8).fill(-Infinity), -Infinity, [0, 0, 0, 0, 0, 0, 0, 1]],
  ];
  windows.forEach(([name, x, y, dx]) => {
    it(`pool a window and route its gradient like cpu: ${name}`, async () => {
      const g: Geometry = { x: [1, 2, 2, 2, 1], window: 2, strides: 1, pad: 'valid' };
      const values = forward(g, Float32Array.from(x));
      const grad = poolGrad(g, Float32Array.from(x), Float32Array.of(1));
      const [expected, expectedDx] = [(await runOn('cpu', values))[0], (await runOn('cpu', grad))[0]];
      assert.ok(Object.is(expected.values[0], y) && expectedDx.values.every((v, k) => v === dx[k]), 'cpu (the reference) changed');
      assertSameBits((await runOn('wasm', values))[0], expected, `${name}, value`);
      assertSameBits((await runOn('wasm', grad))[0], expectedDx, `${name}, dx`);
    });
  });

  it("sends a non-square window's gradient to its maximum, as cpu's 2D pool does (cpu's 3D one misroutes it)", async () => {
    // With a window of depth 1 the 3D pool is a 2D pool over [b·d, h, w, c], whose cpu gradient is right.
    const rng = new Rng(430);
    for (const [window, strides] of [[[1, 2, 3], 1], [[1, 3, 2], [1, 2, 1]]] as Array<[[number, number, number], Triple]>) {
      const g: Geometry = { x: [2, 3, 5, 6, 2], window, strides, pad: 'same' };
      // Distinct values, so the tie rule does not matter.
      const x = Float32Array.from({ length: size(g.x) }, (_, k) => -1 - ((k * 37) % size(g.x)) / 7);
      const w = randomValues(rng, outSize(g));
      const [h, wd] = [window[1], window[2]];
      const as2D: () => tf.Tensor = () =>
        tf.grad((a: tf.Tensor) => {
          const y = tf.maxPool(a as tf.Tensor4D, [h, wd], typeof strides === 'number' ? strides : [strides[1], strides[2]], 'same');
          return tf.sum(tf.mul(y, tf.tensor(w, y.shape)));
        })(tf.tensor(x, [6, 5, 6, 2])).reshape(g.x);
      const [expected] = await runOn('cpu', as2D);
      const [actual] = await runOn('wasm', poolGrad(g, x, w));
      assertSameBits(actual, expected, `window ${window.join('x')}`);
      const [cpu3D] = await runOn('cpu', poolGrad(g, x, w));
      assert.notDeepEqual([...cpu3D.values], [...expected.values], "cpu's 3D gradient (position flattened with the height for the width)");
    }
  });

  it('refuse a dy of the wrong shape or a bool input, naming what is allowed', () => {
    tf.tidy(() => {
      const input = tf.zeros([1, 3, 5, 5, 2]);
      const attrs = { filterSize: 2, strides: 1, pad: 'valid' } as unknown as tf.NamedAttrMap;
      assert.throws(
        () => tf.engine().runKernel('MaxPool3DGrad', { dy: tf.zeros([1, 2, 3, 3, 2]), input, output: tf.zeros([1, 2, 4, 4, 2]) }, attrs),
        /MaxPool3DGrad on wasm: dy has shape \[1, 2, 3, 3, 2\], expected \[1, 2, 4, 4, 2\] for input \[1, 3, 5, 5, 2\]/,
      );
      assert.throws(() => tf.engine().runKernel('MaxPool3D', { x: tf.zeros([1, 3, 5, 5, 2], 'bool') }, attrs), /MaxPool3D on wasm: x has dtype bool; allowed: float32, int32/);
      assert.throws(() => tf.engine().runKernel('MaxPool3D', { x: tf.zeros([3, 5, 5, 2]) }, attrs), /MaxPool3D on wasm: x has shape \[3, 5, 5, 2\]; allowed: rank 5 \(NDHWC\)/);
    });
  });

  it('leak no tensors or heap buffers', () => {
    const x = tf.randomNormal([2, 4, 6, 5, 3]) as tf.Tensor5D;
    try {
      expectStepsLeakNothing(() => tf.tidy(() => void tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool3d(a as tf.Tensor5D, 3, 2, 'same')))(x)));
      const ids = numDataIds();
      const attrs = { filterSize: 2, strides: 1, pad: 'valid' } as unknown as tf.NamedAttrMap;
      assert.throws(() => tf.tidy(() => tf.engine().runKernel('MaxPool3DGrad', { dy: tf.zeros([1, 1, 1, 1, 1]), input: tf.zeros([1, 3, 3, 3, 1]), output: tf.zeros([1, 2, 2, 2, 1]) }, attrs)));
      assert.equal(numDataIds(), ids, 'data buffers after a refusal');
    } finally {
      x.dispose();
    }
  });

  it('hand the stock kernels back in working order (unregisterWasmKernelOverrides)', async () => {
    const g: Geometry = { x: [1, 2, 4, 4, 2], window: 2, strides: 2, pad: 'valid' };
    // Distinct positive values: a case the stock kernels get right.
    const x = Float32Array.from({ length: size(g.x) }, (_, k) => 1 + ((k * 7) % 64));
    const [expected] = await runOn('cpu', forward(g, x));
    unregisterWasmKernelOverrides();
    try {
      const y = tf.tidy(forward(g, x));
      const actual = { shape: y.shape, values: y.dataSync() as Float32Array };
      y.dispose();
      assertSameBits(actual, expected, 'stock MaxPool3D');
    } finally {
      registerWasmKernelOverrides();
    }
  });

  it('let a conv3d(tanh) + maxPooling3d tf.layers model train on wasm with the gradients cpu gives', async () => {
    const rng = new Rng(440);
    const features = randomValues(rng, 4 * 4 * 6 * 6 * 2);
    const labels = Int32Array.from({ length: 4 }, (_, i) => i % 3);
    await assertLayersGradsMatchCpu(
      () =>
        tf.sequential({
          layers: [
            // A negative bias makes many tanh outputs negative, so many pooling windows have a max below 0.
            tf.layers.conv3d({ inputShape: [4, 6, 6, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), biasInitializer: tf.initializers.constant({ value: -0.5 }) }),
            tf.layers.maxPooling3d({ poolSize: [2, 3, 3], strides: [2, 2, 2], padding: 'same' }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
          ],
        }),
      features,
      [4, 4, 6, 6, 2],
      labels,
      { label: 'conv3d kernel (its gradient flows back through the max pool)', accepts: (name) => name.includes('conv3d') && name.endsWith('kernel') },
    );
  });
});
