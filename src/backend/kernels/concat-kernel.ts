import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { copyRows } from './heap-loops';
import { asWasmBackend, heapWord, heapWords } from './wasm-backend-internals';

/**
 * Floe's wasm `Concat` for float32/int32: each input's rows are block copies into the output
 * on one heap view (`copyRows`). The stock kernel makes a typed-array view per row, and as the
 * gradient of the attention's q/k/v split that was about a quarter of all JS allocation in a
 * training step. Other dtypes go to `stock`.
 */
export function createConcatKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const dtype = inputs[0]?.dtype;
    if ((dtype !== 'float32' && dtype !== 'int32') || inputs.some((t) => t.dtype !== dtype)) {
      if (stock === undefined) throw new Error('Concat on wasm: stock kernel missing');
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const axis = tf.util.parseAxisParam((args.attrs as NamedAttrMap).axis as number, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const outShape = tf.backend_util.computeOutShape(shapes, axis);
    const out = backend.makeOutput(outShape, dtype);
    const outer = tf.util.sizeFromShape(outShape.slice(0, axis));
    const outRow = tf.util.sizeFromShape(outShape.slice(axis));
    // The view only after the allocation: a growing heap detaches earlier typed-array views.
    const heap = heapWords(backend);
    let column = heapWord(backend, out);
    for (const input of inputs) {
      const row = tf.util.sizeFromShape(input.shape.slice(axis));
      if (row === 0 || outer === 0) continue;
      const from = heapWord(backend, input);
      copyRows(heap, from, row, column, outRow, outer, row);
      column += row;
    }
    return out;
  };
  return { kernelName: 'Concat', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
