import { scatterToMaxima, type PoolWindows } from '../kernels/pool-windows';
import type { NativeKernelsAddon, NativePoolGeometry } from './native-kernels-addon';

/**
 * Batch 2, 5×7×3 input, 3×3 windows at strides [2, 1] (overlapping), pads 1 and 1: out 3×7.
 * @internal
 */
export const POOL_SELF_TEST_GEOMETRY: NativePoolGeometry = {
  batch: 2,
  inHeight: 5,
  inWidth: 7,
  channels: 3,
  outHeight: 3,
  outWidth: 7,
  filterHeight: 3,
  filterWidth: 3,
  strideHeight: 2,
  strideWidth: 1,
  padTop: 1,
  padLeft: 1,
};

/** The geometry as Floe's pool-window walk takes it (depth 1). */
function windowsOf(g: NativePoolGeometry): PoolWindows {
  return {
    batch: g.batch,
    inDepth: 1,
    inHeight: g.inHeight,
    inWidth: g.inWidth,
    channels: g.channels,
    outDepth: 1,
    outHeight: g.outHeight,
    outWidth: g.outWidth,
    strides: [1, g.strideHeight, g.strideWidth],
    filter: [1, g.filterHeight, g.filterWidth],
    pads: [0, g.padTop, g.padLeft],
  };
}

/**
 * The JS kernel's dx for `x` and `dy` on `g` (first maximum wins ties, NaN never, float64 sums).
 * @internal
 */
export function maxPoolGradReference(g: NativePoolGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const sums = new Float64Array(x.length);
  scatterToMaxima(windowsOf(g), { xs: x, dys: dy, sums, ties: 'first' });
  return Float32Array.from(sums);
}

/** Addons whose maxPoolGrad passed: the call does not change between status resets (tests swap in counting stand-ins). */
const passed = new WeakSet<NativeKernelsAddon>();

/**
 * Runs `maxPoolGrad` (when the addon has it) on {@link POOL_SELF_TEST_GEOMETRY} at a misaligned
 * offset, on values with ties and NaN, and compares it bit for bit with the JS kernel's walk, once
 * per addon. Returns undefined when they agree, else what differs.
 * @internal
 */
export function poolSelfTest(addon: NativeKernelsAddon, next: () => number): string | undefined {
  if (addon.maxPoolGrad === undefined || passed.has(addon)) return undefined;
  const g = POOL_SELF_TEST_GEOMETRY;
  const nx = g.batch * g.inHeight * g.inWidth * g.channels;
  const ndy = g.batch * g.outHeight * g.outWidth * g.channels;
  const heap = new ArrayBuffer(4 + 4 * (2 * nx + ndy));
  const x = new Float32Array(heap, 4, nx);
  const dy = new Float32Array(heap, 4 + 4 * nx, ndy);
  // Few distinct values (ties), some NaN, some all below zero.
  for (let i = 0; i < nx; i++) x[i] = i % 11 === 0 ? NaN : Math.round(next() * 4) - 1;
  // Large and tiny terms alternate, so a pixel summed in float32 instead of float64 comes out different.
  for (let i = 0; i < ndy; i++) dy[i] = i % 2 === 0 ? next() : next() * 2 ** -26;
  const got = new Float32Array(heap, 4 + 4 * (nx + ndy), nx).fill(Number.NaN); // every element must be written
  addon.maxPoolGrad(new Uint8Array(heap), 4, 4 + 4 * nx, 4 + 4 * (nx + ndy), g);
  const expected = maxPoolGradReference(g, x, dy);
  const gotBits = new Uint32Array(got.buffer, got.byteOffset, nx);
  const expectedBits = new Uint32Array(expected.buffer);
  const i = gotBits.findIndex((bits, k) => bits !== expectedBits[k]);
  if (i >= 0) return `self-test maxPoolGrad gave ${got[i]} at [${i}], expected ${expected[i]}`;
  passed.add(addon);
  return undefined;
}
