import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGradientInfo, sumTapRowsInto, type Shape4, type TapRow } from './conv-taps';

/**
 * `DepthwiseConv2dNativeBackpropFilter` for wasm, which tfjs-backend-wasm lacks (the filter
 * gradient of depthwiseConv2d/separableConv2d layers): `dW[fh, fw, c, q] = Σ x[b, xr, xc, c] ·
 * dy[b, oh, ow, c·multiplier + q]`, NHWC. JS loops over the heap, tap by tap, four output
 * positions at a time (each sum loaded and stored once per four products), summed in float64.
 */
export function createDepthwiseConv2dBackpropFilterKernel(): KernelConfig {
  const kernelName = 'DepthwiseConv2dNativeBackpropFilter';
  const kernelFunc: KernelFunc = (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const filterShape = (args.attrs as NamedAttrMap).filterShape as unknown as Shape4;
    const info = convGradientInfo(kernelName, x.shape as Shape4, filterShape, [x, dy], dy, args.attrs as NamedAttrMap, true);
    const { inChannels, outChannels } = info;
    const mul = outChannels / inChannels;
    const xStep = info.strideWidth * inChannels;
    return sumTapRowsInto(args.backend, info, filterShape, [x, dy], (sums, xs, dys, row) => accumulateDepthwiseFilterRow({ sums, xs, dys, row, xStep, inChannels, mul }));
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/**
 * `DepthwiseConv2dNativeBackpropInput` for wasm, which tfjs-backend-wasm lacks (the input
 * gradient of depthwiseConv2d/separableConv2d layers): `dx[b, xr, xc, c] = Σ W[fh, fw, c, q] ·
 * dy[b, oh, ow, c·multiplier + q]` over the taps that read `(xr, xc)`, NHWC. A JS loop over the
 * heap scattering into a float64 buffer, tap by tap and row by row, each tap weight read once
 * per four output positions.
 */
export function createDepthwiseConv2dBackpropInputKernel(): KernelConfig {
  const kernelName = 'DepthwiseConv2dNativeBackpropInput';
  const kernelFunc: KernelFunc = (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const inputShape = (args.attrs as NamedAttrMap).inputShape as unknown as Shape4;
    const info = convGradientInfo(kernelName, inputShape, filter.shape as Shape4, [filter, dy], dy, args.attrs as NamedAttrMap, true);
    const { inChannels, outChannels } = info;
    const mul = outChannels / inChannels;
    const xStep = info.strideWidth * inChannels;
    return sumTapRowsInto(args.backend, info, inputShape, [filter, dy], (sums, ws, dys, row) => scatterDepthwiseInputRow({ sums, ws, dys, row, xStep, inChannels, mul }));
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

interface DepthwiseRowArgs {
  /** float64 sums: `dW` (filter gradient) or `dx` (input gradient). */
  sums: Float64Array;
  dys: Float32Array;
  row: TapRow;
  /** Input offset between consecutive positions of the row (`strideWidth·inChannels`). */
  xStep: number;
  inChannels: number;
  /** Depth multiplier: `outChannels / inChannels`. */
  mul: number;
}

/** Adds one tap row's products to `dW[tap, c, q]`, positions in fours; multiplier 1 without the `q` loop. */
function accumulateDepthwiseFilterRow(a: DepthwiseRowArgs & { xs: Float32Array }): void {
  const { sums, xs, dys, xStep, inChannels, mul } = a;
  const { xBase, dyBase, count } = a.row;
  const outChannels = inChannels * mul;
  const wBase = a.row.tap * outChannels;
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const x0 = xBase + k * xStep;
    const x1 = x0 + xStep;
    const x2 = x1 + xStep;
    const x3 = x2 + xStep;
    const d0 = dyBase + k * outChannels;
    const d1 = d0 + outChannels;
    const d2 = d1 + outChannels;
    const d3 = d2 + outChannels;
    if (mul === 1) {
      for (let c = 0; c < inChannels; c++) sums[wBase + c] += xs[x0 + c] * dys[d0 + c] + xs[x1 + c] * dys[d1 + c] + xs[x2 + c] * dys[d2 + c] + xs[x3 + c] * dys[d3 + c];
      continue;
    }
    for (let c = 0; c < inChannels; c++) {
      const v0 = xs[x0 + c];
      const v1 = xs[x1 + c];
      const v2 = xs[x2 + c];
      const v3 = xs[x3 + c];
      const o = c * mul;
      for (let q = o; q < o + mul; q++) sums[wBase + q] += v0 * dys[d0 + q] + v1 * dys[d1 + q] + v2 * dys[d2 + q] + v3 * dys[d3 + q];
    }
  }
  for (; k < count; k++) {
    const x0 = xBase + k * xStep;
    const d0 = dyBase + k * outChannels;
    for (let c = 0; c < inChannels; c++) {
      const v0 = xs[x0 + c];
      const o = c * mul;
      for (let q = o; q < o + mul; q++) sums[wBase + q] += v0 * dys[d0 + q];
    }
  }
}

/** Adds one tap row's `Σ_q W[tap, c, q]·dy[.., c·mul + q]` to `dx` at the pixels it reads; multiplier 1 reads each weight once per four positions. */
function scatterDepthwiseInputRow(a: DepthwiseRowArgs & { ws: Float32Array }): void {
  const { sums, ws, dys, xStep, inChannels, mul } = a;
  const { xBase, dyBase, count } = a.row;
  const outChannels = inChannels * mul;
  const wBase = a.row.tap * outChannels;
  let k = 0;
  if (mul === 1) {
    for (; k + 4 <= count; k += 4) {
      const x0 = xBase + k * xStep;
      const x1 = x0 + xStep;
      const x2 = x1 + xStep;
      const x3 = x2 + xStep;
      const d0 = dyBase + k * outChannels;
      const d1 = d0 + outChannels;
      const d2 = d1 + outChannels;
      const d3 = d2 + outChannels;
      for (let c = 0; c < inChannels; c++) {
        const w = ws[wBase + c];
        sums[x0 + c] += w * dys[d0 + c];
        sums[x1 + c] += w * dys[d1 + c];
        sums[x2 + c] += w * dys[d2 + c];
        sums[x3 + c] += w * dys[d3 + c];
      }
    }
  }
  for (; k < count; k++) {
    const x0 = xBase + k * xStep;
    const d0 = dyBase + k * outChannels;
    for (let c = 0; c < inChannels; c++) {
      const o = c * mul;
      let s = 0;
      for (let q = o; q < o + mul; q++) s += ws[wBase + q] * dys[d0 + q];
      sums[x0 + c] += s;
    }
  }
}
