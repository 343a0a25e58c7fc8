import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

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

/**
 * Calls `visit` for every (output position, filter tap) pair that reads an input pixel inside the
 * image, in the order b, oh, ow, fh, fw: with the NHWC offsets of that input pixel and of the
 * output position's `dy` row, and the tap's index `fh·filterWidth + fw`. The channel loops stay
 * in `visit`, so the call is paid once per tap, not per multiply.
 */
export function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (xBase: number, dyBase: number, tap: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fh = 0; fh < filterHeight; fh++) {
          const xr = oh * strideHeight + fh * dilationHeight - top;
          if (xr < 0 || xr >= inHeight) continue;
          for (let fw = 0; fw < filterWidth; fw++) {
            const xc = ow * strideWidth + fw * dilationWidth - left;
            if (xc < 0 || xc >= inWidth) continue;
            visit(((b * inHeight + xr) * inWidth + xc) * inChannels, dyBase, fh * filterWidth + fw);
          }
        }
      }
    }
  }
}
