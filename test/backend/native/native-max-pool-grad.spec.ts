import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { registerWasmKernelOverrides, unregisterWasmKernelOverrides } from '../../../src/backend';
import { createMaxPoolGradKernel } from '../../../src/backend/kernels/max-pool-grad-kernel';
import { createNumericPadGuardKernel } from '../../../src/backend/kernels/numeric-pad-guard';
import { nativeMaxPoolGrad } from '../../../src/backend/native/native-max-pool-grad';
import { nativeKernelsStatus, resetNativeKernelsStatus, type NativeKernelsAddon } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { assertSameBits, boom, expectStepsLeakNothing, numDataIds, POOL_INPUT_KINDS, randomValues, runOn, useWasmBackend, type Result } from '../backend-fixture';
import { requireNativeKernels, withoutNative } from './native-fixture';

type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type PoolCall = NonNullable<NativeKernelsAddon['maxPoolGrad']>;

interface PoolCase {
  x: Shape4;
  window: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  rounding?: 'ceil' | 'round' | 'floor';
}

const explicit = (top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding => [
  [0, 0],
  [top, bottom],
  [left, right],
  [0, 0],
];

/**
 * The grid: windows that cannot share a pixel (float32 adds) and overlapping ones (float64 sums),
 * valid/same/numeric/explicit padding, a numeric pad rounded up ('ceil', dy one row and column
 * taller), unequal windows and strides, a window larger than the input, padding wider than the
 * window (windows wholly in the padding pass nothing), one channel, channels past a vector width,
 * batch 1 and more, and the tiny CNN's pool.
 */
const CASES: Record<string, PoolCase> = {
  '2x2, stride 2, valid (disjoint)': { x: [2, 6, 7, 3], window: 2, strides: 2, pad: 'valid' },
  '2x2, stride 1, valid (overlapping)': { x: [2, 5, 6, 3], window: 2, strides: 1, pad: 'valid' },
  '3x3, stride 1, same, one channel': { x: [3, 5, 7, 1], window: 3, strides: 1, pad: 'same' },
  '3x3, stride 2, same (overlapping), 33 channels': { x: [1, 8, 7, 33], window: 3, strides: 2, pad: 'same' },
  '3x3, stride 3, same (disjoint, padded)': { x: [2, 8, 7, 4], window: 3, strides: 3, pad: 'same' },
  '2x3, strides [1, 2], same': { x: [2, 6, 9, 2], window: [2, 3], strides: [1, 2], pad: 'same' },
  '3x2, strides [3, 2], valid (disjoint, unequal)': { x: [2, 9, 8, 5], window: [3, 2], strides: [3, 2], pad: 'valid' },
  '3x3, stride 2, explicit padding 1': { x: [2, 7, 6, 2], window: 3, strides: 2, pad: explicit(1, 1, 1, 1) },
  'explicit padding wider than the window (windows in the padding)': { x: [1, 4, 5, 3], window: 2, strides: 2, pad: explicit(3, 2, 4, 3) },
  '3x3, stride 1, numeric pad 1': { x: [1, 6, 6, 3], window: 3, strides: 1, pad: 1 },
  "3x3, stride 2, numeric pad 0 rounded up ('ceil')": { x: [2, 8, 7, 2], window: 3, strides: 2, pad: 0, rounding: 'ceil' },
  'window larger than the input, same': { x: [2, 2, 3, 3], window: 4, strides: 1, pad: 'same' },
  'the CNN pool: 2x2 stride 2 over 24x24x64, batch 4': { x: [4, 24, 24, 64], window: 2, strides: 2, pad: 'valid' },
};

/** dy's shape for a case (the pool's output, with its rounding). */
function dyShape(c: PoolCase): Shape4 {
  return tf.backend_util.computePool2DInfo(c.x, c.window, c.strides, 1, c.pad, c.rounding).outShape as Shape4;
}

/** MaxPoolGrad run directly (with dimRoundingMode, which tfjs-core's gradient drops) on the current wasm kernels. */
function poolGrad(c: PoolCase, x: Float32Array, dy: Float32Array, dtype: 'float32' | 'int32' = 'float32'): Promise<Result[]> {
  const attrs = { filterSize: c.window, strides: c.strides, pad: c.pad, dimRoundingMode: c.rounding } as unknown as tf.NamedAttrMap;
  return runOn('wasm', () => {
    const input = tf.tensor4d(x, c.x, dtype);
    const output = tf.zeros(dyShape(c), dtype);
    return tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor4d(dy, dyShape(c), dtype), input, output }, attrs) as tf.Tensor;
  });
}

/** Re-registers Floe's wasm kernels so a changed addon method (or none) takes effect. */
function reregister(): void {
  resetNativeKernelsStatus();
  unregisterWasmKernelOverrides();
  registerWasmKernelOverrides();
}

/** Runs `fn` with the addon's maxPoolGrad replaced by `replacement` (none: an older addon), registered as the kernel. */
async function withAddonPool<T>(addon: NativeKernelsAddon, replacement: PoolCall | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = addon.maxPoolGrad;
  addon.maxPoolGrad = replacement;
  reregister();
  try {
    return await fn();
  } finally {
    addon.maxPoolGrad = saved;
    reregister();
  }
}

/** The addon's real maxPoolGrad, counted. */
function spyPool(addon: NativeKernelsAddon): { call: PoolCall; calls: () => number } {
  const real = addon.maxPoolGrad!.bind(addon);
  let count = 0;
  return {
    calls: () => count,
    call: (...args) => {
      count++;
      real(...args);
    },
  };
}

describe('native MaxPoolGrad (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('is listed as a native kernel', () => {
    assert.ok(nativeKernelsStatus().kernels.includes('MaxPoolGrad'), nativeKernelsStatus().kernels.join(', '));
  });

  Object.entries(CASES).forEach(([name, c], i) => {
    it(`runs on the addon and gives the JS kernel's dx bit for bit on every pool input kind: ${name}`, async () => {
      const { call, calls } = spyPool(addon());
      for (const [kind, make] of Object.entries(POOL_INPUT_KINDS)) {
        const rng = new Rng(500 + i);
        const x = make(rng, tf.util.sizeFromShape(c.x));
        const dy = randomValues(rng, tf.util.sizeFromShape(dyShape(c)));
        const [native] = await withAddonPool(addon(), call, () => poolGrad(c, x, dy));
        const [js] = await withoutNative(() => poolGrad(c, x, dy));
        assertSameBits(native, js, `${name}, ${kind}`);
      }
      assert.equal(calls(), Object.keys(POOL_INPUT_KINDS).length, 'addon calls');
    });
  });

  // One 2x2 window, dy = 1 (plus -0 and 2^-149, whose sums the float32 and float64 paths must keep alike).
  const windows: Array<[string, number[]]> = [
    ['tied maxima: the first', [-2, -1, -1, -2]],
    ['-0 and 0 tie: the first', [-0, 0, -1, 0]],
    ['NaN is skipped', [NaN, -5, -7, NaN]],
    ['only NaN: none', [NaN, NaN, NaN, NaN]],
    ['only -Infinity: none', [-Infinity, -Infinity, -Infinity, -Infinity]],
    ['Infinity ties: the first', [1, Infinity, Infinity, 0]],
  ];
  windows.forEach(([name, x]) => {
    it(`routes a window's gradient as the JS kernel does: ${name}`, async () => {
      const { call, calls } = spyPool(addon());
      for (const [strides, dy] of [[2, [1]], [2, [-0]], [1, [1]], [1, [2 ** -149]]] as Array<[number, number[]]>) {
        const c: PoolCase = { x: [1, 2, 2, 1], window: 2, strides, pad: 'valid' };
        const [native] = await withAddonPool(addon(), call, () => poolGrad(c, Float32Array.from(x), Float32Array.from(dy)));
        const [js] = await withoutNative(() => poolGrad(c, Float32Array.from(x), Float32Array.from(dy)));
        assertSameBits(native, js, `${name}, stride ${strides}, dy ${dy[0]}`);
      }
      assert.equal(calls(), 4, 'addon calls');
    });
  });

  it('sums overlapping windows in float64 as the JS kernel does (float32 sums would differ)', async () => {
    // One pixel is every window's maximum; dy 1, 2^-30, 2^-30, ...: float32 sums lose the small terms one by one.
    const c: PoolCase = { x: [1, 3, 3, 1], window: 2, strides: 1, pad: 'valid' };
    const x = Float32Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0);
    const dy = Float32Array.of(1, 2 ** -30, 2 ** -30, 2 ** -30);
    const [native] = await poolGrad(c, x, dy);
    const [js] = await withoutNative(() => poolGrad(c, x, dy));
    assertSameBits(native, js, 'overlapping sums');
    assert.equal(native.values[4], Math.fround(1 + 3 * 2 ** -30), 'the float64 sum, rounded once');
  });

  it('leaks no tensors or data buffers over training steps, and frees its output when the addon throws', () => {
    const x = tf.randomNormal([2, 6, 5, 3]) as tf.Tensor4D;
    try {
      expectStepsLeakNothing(() => tf.tidy(() => void tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same')))(x)));
      const kernel = nativeMaxPoolGrad({ maxPoolGrad: boom } as unknown as NativeKernelsAddon, createNumericPadGuardKernel('MaxPoolGrad', createMaxPoolGradKernel(tf.getKernel('MaxPoolGrad', 'wasm'))));
      const dy = tf.zeros([2, 3, 3, 3]);
      try {
        const ids = numDataIds();
        const attrs = { filterSize: 3, strides: 2, pad: 'same' } as unknown as tf.NamedAttrMap;
        assert.throws(() => kernel({ inputs: { dy, input: x, output: dy }, backend: tf.backend(), attrs }), /boom/);
        assert.equal(numDataIds(), ids, 'data buffers after the addon threw');
      } finally {
        dy.dispose();
      }
    } finally {
      x.dispose();
    }
  });

  it('refuses what the JS kernel refuses, with its messages (numeric pad tfjs sizes wrongly, dy of the wrong shape)', () => {
    tf.tidy(() => {
      const input = tf.zeros([1, 5, 6, 2]);
      const run = (dy: tf.Tensor, attrs: Record<string, unknown>): unknown => tf.engine().runKernel('MaxPoolGrad', { dy, input, output: dy }, attrs as unknown as tf.NamedAttrMap);
      assert.throws(() => run(tf.zeros([1, 3, 3, 2]), { filterSize: 2, strides: 1, pad: 'valid' }), /MaxPoolGrad on wasm: dy has shape \[1, 3, 3, 2\], expected \[1, 4, 5, 2\] for input \[1, 5, 6, 2\]/);
      assert.throws(() => run(tf.zeros([1, 5, 3, 2]), { filterSize: [3, 1], strides: [1, 2], pad: 1 }), /MaxPoolGrad on wasm: numeric pad 1 with a 3x1 filter .*Allowed: pad 'valid' or 'same'/);
    });
  });

  it('leaves int32 operands to the JS kernel', async () => {
    const c: PoolCase = { x: [1, 4, 4, 2], window: 2, strides: 2, pad: 'valid' };
    const x = Float32Array.from({ length: 32 }, (_, k) => (k * 7) % 5);
    const dy = Float32Array.from({ length: 8 }, (_, k) => k - 3);
    const { call, calls } = spyPool(addon());
    const [native] = await withAddonPool(addon(), call, () => poolGrad(c, x, dy, 'int32'));
    const [js] = await withoutNative(() => poolGrad(c, x, dy, 'int32'));
    assert.equal(calls(), 0, 'addon calls');
    assertSameBits(native, js, 'int32');
  });

  it('falls back to the JS kernel with an addon built before maxPoolGrad', async () => {
    const c = CASES['3x3, stride 2, same (overlapping), 33 channels'];
    const rng = new Rng(7);
    const x = POOL_INPUT_KINDS['tied negative'](rng, tf.util.sizeFromShape(c.x));
    const dy = randomValues(rng, tf.util.sizeFromShape(dyShape(c)));
    await withAddonPool(addon(), undefined, async () => {
      assert.ok(!nativeKernelsStatus().kernels.includes('MaxPoolGrad'), 'not listed as native');
      assert.ok(nativeKernelsStatus().kernels.includes('Conv2DBackpropInput'), 'the rest stays native');
      const [fallback] = await poolGrad(c, x, dy);
      const [js] = await withoutNative(() => poolGrad(c, x, dy));
      assertSameBits(fallback, js, 'fallback');
    });
  });
});
