import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { sumLeadingRows } from './heap-loops';
import { asWasmBackend } from './wasm-backend-internals';

/**
 * Floe's wasm `Sum`. A float32 sum over leading axes (a bias or norm-gain gradient: `[N, C]` →
 * `[C]`) is a streaming JS loop over the rows; the stock kernel transposes the whole input
 * first so the reduced axes come last (~8× slower). Other sums go to `stock`.
 */
export function createSumKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = args.attrs as NamedAttrMap;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
    const leading = axes.every((axis, i) => axis === i) && axes.length < x.shape.length;
    if (x.dtype !== 'float32' || !leading || axes.length === 0) {
      if (stock === undefined) throw new Error('Sum on wasm: stock kernel missing');
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    const innerShape = x.shape.slice(axes.length);
    const outShape = attrs.keepDims === true ? [...axes.map(() => 1), ...innerShape] : innerShape;
    const out = backend.makeOutput(outShape, 'float32');
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const values = backend.typedArrayFromHeap(x) as Float32Array;
    const sums = backend.typedArrayFromHeap(out) as Float32Array;
    sumLeadingRows(values, sums, rows, tf.util.sizeFromShape(innerShape));
    return out;
  };
  return { kernelName: 'Sum', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
