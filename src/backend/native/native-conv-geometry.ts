import type * as tf from '@tensorflow/tfjs';
import type { NativeConvGeometry } from './native-kernels-addon';

/**
 * The native conv gradients' geometry from tfjs's conv info.
 * @internal
 */
export function nativeConvGeometry(info: tf.backend_util.Conv2DInfo): NativeConvGeometry {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  return {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
