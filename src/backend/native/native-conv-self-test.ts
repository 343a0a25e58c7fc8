import type { NativeConvGeometry, NativeIsa, NativeKernelsAddon } from './native-kernels-addon';

/**
 * Batch 2, 5×6×3 input, 3×2 filter to 4 channels, strides [2, 1], dilations [1, 2], pads 1 and 2:
 * out 3×5. The addon specs check both conv calls on it too.
 * @internal
 */
export const CONV_SELF_TEST_GEOMETRY: NativeConvGeometry = {
  batchSize: 2,
  inHeight: 5,
  inWidth: 6,
  inChannels: 3,
  outHeight: 3,
  outWidth: 5,
  outChannels: 4,
  filterHeight: 3,
  filterWidth: 2,
  strideHeight: 2,
  strideWidth: 1,
  dilationHeight: 1,
  dilationWidth: 2,
  padTop: 1,
  padLeft: 2,
};

/**
 * Calls `visit(xIndex, dyIndex, wIndex)` for every output position, in-image tap and channel pair
 * of an NHWC conv (taps in the padding are skipped): the terms of the forward and both gradients.
 */
function forEachConvTerm(g: NativeConvGeometry, visit: (x: number, dy: number, w: number) => void): void {
  for (let b = 0; b < g.batchSize; b++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let fh = 0; fh < g.filterHeight; fh++) {
          for (let fw = 0; fw < g.filterWidth; fw++) {
            const r = oh * g.strideHeight + fh * g.dilationHeight - g.padTop;
            const c = ow * g.strideWidth + fw * g.dilationWidth - g.padLeft;
            if (r < 0 || r >= g.inHeight || c < 0 || c >= g.inWidth) continue;
            for (let ci = 0; ci < g.inChannels; ci++) {
              for (let co = 0; co < g.outChannels; co++) {
                visit(((b * g.inHeight + r) * g.inWidth + c) * g.inChannels + ci, ((b * g.outHeight + oh) * g.outWidth + ow) * g.outChannels + co, ((fh * g.filterWidth + fw) * g.inChannels + ci) * g.outChannels + co);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * float64 reference of the NHWC conv2d input gradient: `dx[x] = Σ dy[o]·w[tap]` over the terms
 * of {@link forEachConvTerm}.
 * @internal
 */
export function convInputGradReference(dy: Float32Array, w: Float32Array, g: NativeConvGeometry): Float64Array {
  const dx = new Float64Array(g.batchSize * g.inHeight * g.inWidth * g.inChannels);
  forEachConvTerm(g, (x, o, t) => (dx[x] += dy[o] * w[t]));
  return dx;
}

/**
 * float64 reference of the NHWC conv2d filter gradient: `dw[tap] = Σ x·dy`.
 * @internal
 */
export function convFilterGradReference(x: Float32Array, dy: Float32Array, g: NativeConvGeometry): Float64Array {
  const dw = new Float64Array(g.filterHeight * g.filterWidth * g.inChannels * g.outChannels);
  forEachConvTerm(g, (i, o, t) => (dw[t] += x[i] * dy[o]));
  return dw;
}

/**
 * float64 reference of the NHWC conv2d forward (no bias, linear): `y[o] = Σ x·w[tap]`.
 * @internal
 */
export function convForwardReference(x: Float32Array, w: Float32Array, g: NativeConvGeometry): Float64Array {
  const y = new Float64Array(g.batchSize * g.outHeight * g.outWidth * g.outChannels);
  forEachConvTerm(g, (i, o, t) => (y[o] += x[i] * w[t]));
  return y;
}

/** ISAs whose conv calls passed, per addon: the calls do not change between status resets (tests swap in counting stand-ins). */
const passed = new WeakMap<NativeKernelsAddon, Set<NativeIsa>>();

/**
 * The start-up check of the conv calls (forward and gradients) the addon has (an addon built before them has
 * none): one small strided, dilated, padded geometry at a 4-byte-misaligned offset against the
 * float64 references, once per addon and instruction set. Returns what went wrong, or undefined.
 */
export function convSelfTest(addon: NativeKernelsAddon, isa: NativeIsa, next: () => number): string | undefined {
  if (passed.get(addon)?.has(isa) === true) return undefined;
  const g = CONV_SELF_TEST_GEOMETRY;
  const nx = g.batchSize * g.inHeight * g.inWidth * g.inChannels;
  const ndy = g.batchSize * g.outHeight * g.outWidth * g.outChannels;
  const nw = g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
  const base = 4; // 4-byte but not 16-byte aligned, as wasm tensors may be
  const heap = new ArrayBuffer(base + 4 * (nx + ndy + nw));
  const x = new Float32Array(heap, base, nx);
  const dy = new Float32Array(heap, base + 4 * nx, ndy);
  const w = new Float32Array(heap, base + 4 * (nx + ndy), nw);
  // x too, for an addon with the forward alone (the input gradient overwrites it otherwise)
  for (const values of [dy, w, x]) for (let i = 0; i < values.length; i++) values[i] = next();
  const off = { x: base, dy: base + 4 * nx, w: base + 4 * (nx + ndy) };
  const checks: Array<{ name: string; run?: () => void; out: Float32Array; expected: () => Float64Array }> = [
    {
      name: 'conv2dBackpropInput',
      run: addon.conv2dBackpropInput && (() => addon.conv2dBackpropInput!(new Uint8Array(heap), off.dy, off.w, off.x, g)),
      out: x,
      expected: () => convInputGradReference(dy, w, g),
    },
    {
      name: 'conv2dBackpropFilter',
      run: addon.conv2dBackpropFilter && (() => addon.conv2dBackpropFilter!(new Uint8Array(heap), off.x, off.dy, off.w, g)),
      out: w,
      expected: () => convFilterGradReference(x, dy, g), // x now holds dx: any values do
    },
    {
      name: 'conv2d',
      run: addon.conv2d && (() => addon.conv2d!(new Uint8Array(heap), off.x, off.w, -1, off.dy, g, 0)),
      out: dy,
      expected: () => convForwardReference(x, w, g), // x holds dx, w holds dw: any values do
    },
  ];
  for (const check of checks) {
    if (check.run === undefined) continue;
    check.out.fill(Number.NaN); // every element must be written
    check.run();
    const expected = check.expected();
    const i = expected.findIndex((v, k) => !(Math.abs(check.out[k] - v) <= 1e-4 * (1 + Math.abs(v))));
    if (i >= 0) return `self-test ${check.name} gave ${check.out[i]} at [${i}], expected ${expected[i]}`;
  }
  passed.set(addon, new Set([...(passed.get(addon) ?? []), isa]));
  return undefined;
}
