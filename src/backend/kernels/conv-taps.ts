import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './wasm-backend-internals';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];
/** An NHWC tensor or filter shape. */
export type Shape4 = [number, number, number, number];

/**
 * The geometry of a convolution gradient kernel (`kernel` names it in errors) for input `xShape`
 * and `filterShape`, from the attrs tfjs passes (`strides`, `pad`, `dimRoundingMode`, optional
 * `dilations` and `dataFormat`). Refuses NCHW, non-float32 operands and a `dy` that does not fit.
 */
export function convGradientInfo(
  kernel: string,
  xShape: Shape4,
  filterShape: Shape4,
  operands: TensorInfo[],
  dy: TensorInfo,
  attrs: NamedAttrMap,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  const dataFormat = String(attrs.dataFormat ?? 'NHWC');
  if (dataFormat !== 'NHWC') throw new Error(`${kernel} on wasm: dataFormat '${dataFormat}' is not supported; allowed: 'NHWC' (transpose NCHW input to NHWC first)`);
  const odd = operands.find((t) => t.dtype !== 'float32');
  if (odd !== undefined) throw new Error(`${kernel} on wasm: unsupported dtype ${odd.dtype}; allowed: float32`);
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides as unknown as Pair,
    (attrs.dilations ?? 1) as unknown as Pair,
    attrs.pad as unknown as Pad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
  );
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.length !== 4 || dy.shape.some((size, i) => size !== expected[i])) {
    throw new Error(`${kernel} on wasm: dy has shape [${dy.shape.join(', ')}], expected [${expected.join(', ')}] for input [${xShape.join(', ')}] and filter [${filterShape.join(', ')}]`);
  }
  return info;
}

/** Output positions `[lo, hi)` along one axis whose tap at `offset = f·dilation − pad` reads inside an input of `inSize`. */
function tapRange(offset: number, stride: number, inSize: number, outSize: number): [number, number] {
  // o·stride + offset ∈ [0, inSize)
  const lo = Math.max(0, Math.ceil(-offset / stride));
  const hi = Math.min(outSize, Math.floor((inSize - 1 - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/** One run of output positions along a row that a filter tap reads inside the image; see {@link forEachTapRow}. */
export interface TapRow {
  /** The tap's index `fh·filterWidth + fw`. */
  tap: number;
  /** NHWC offset of the input pixel the first position reads. */
  xBase: number;
  /** NHWC offset of the first position's `dy` row. */
  dyBase: number;
  /** Number of consecutive output positions (`ow`) in the run. */
  count: number;
}

/**
 * Calls `visit` for every (filter tap, batch, output row) with the run of output columns whose
 * tap reads an input pixel inside the image, in the order fh, fw, b, oh. Position `k` of a run
 * reads the input pixel at `xBase + k·xStep` (`xStep = strideWidth·inChannels`) and the `dy` row
 * at `dyBase + k·outChannels`. The in-image ranges are worked out once per tap, so the kernels'
 * loops carry no bounds checks and the call is paid once per row, not per position; per tap, the
 * positions come in b, oh, ow order (the sum order of a plain loop over the output). One `row`
 * object is reused for every call: read it, do not keep it.
 */
export function forEachTapRow(info: tf.backend_util.Conv2DInfo, visit: (row: TapRow) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  const row: TapRow = { tap: 0, xBase: 0, dyBase: 0, count: 0 };
  for (let fh = 0; fh < filterHeight; fh++) {
    const rowOffset = fh * dilationHeight - top;
    const [ohLo, ohHi] = tapRange(rowOffset, strideHeight, inHeight, outHeight);
    for (let fw = 0; fw < filterWidth; fw++) {
      const colOffset = fw * dilationWidth - left;
      const [owLo, owHi] = tapRange(colOffset, strideWidth, inWidth, outWidth);
      if (owHi === owLo) continue;
      row.tap = fh * filterWidth + fw;
      row.count = owHi - owLo;
      const xc = owLo * strideWidth + colOffset;
      for (let b = 0; b < batchSize; b++) {
        for (let oh = ohLo; oh < ohHi; oh++) {
          row.xBase = ((b * inHeight + oh * strideHeight + rowOffset) * inWidth + xc) * inChannels;
          row.dyBase = ((b * outHeight + oh) * outWidth + owLo) * outChannels;
          visit(row);
        }
      }
    }
  }
}

/**
 * Runs a convolution gradient kernel on the wasm heap: allocates the float32 output of `outShape`,
 * reads both inputs' heap views, has `visit` add each tap row's products into a float64 buffer of
 * the output's size, and writes that buffer out once.
 */
export function sumTapRowsInto(
  backend: unknown,
  info: tf.backend_util.Conv2DInfo,
  outShape: Shape4,
  inputs: [TensorInfo, TensorInfo],
  visit: (sums: Float64Array, a: Float32Array, b: Float32Array, row: TapRow) => void,
): TensorInfo {
  const wasm = asWasmBackend(backend);
  const sums = new Float64Array(outShape[0] * outShape[1] * outShape[2] * outShape[3]);
  const out = wasm.makeOutput(outShape, 'float32');
  // Views only after the allocation: a growing heap detaches earlier typed-array views.
  const a = wasm.typedArrayFromHeap(inputs[0]) as Float32Array;
  const b = wasm.typedArrayFromHeap(inputs[1]) as Float32Array;
  forEachTapRow(info, (row) => visit(sums, a, b, row));
  wasm.typedArrayFromHeap(out).set(sums);
  return out;
}
