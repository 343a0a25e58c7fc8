import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, heapWord, heapWords } from './wasm-backend-internals';

/**
 * Floe's wasm `GatherV2`. Gathering whole rows along axis 0 (an embedding lookup) copies each
 * row with one `copyWithin`; the stock kernel walks every element with index arithmetic.
 * Like the stock kernel, an index outside `[0, rows)` throws. Other gathers go to `stock`.
 */
export function createGatherKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const attrs = args.attrs as NamedAttrMap;
    const axis = x.shape.length === 0 ? -1 : tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const batchDims = Number(attrs.batchDims ?? 0);
    const rowwise = axis === 0 && batchDims === 0 && indices.dtype === 'int32' && (x.dtype === 'float32' || x.dtype === 'int32');
    if (!rowwise) {
      if (stock === undefined) throw new Error('GatherV2 on wasm: stock kernel missing');
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const rows = x.shape[0];
    const inner = tf.util.sizeFromShape(x.shape.slice(1));
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const heap = heapWords(backend);
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    const src = heapWord(backend, x);
    const dst = heapWord(backend, out);
    for (let i = 0; i < ids.length; i++) {
      const row = ids[i];
      if (!(row >= 0 && row < rows)) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${row} is not in [0, ${rows - 1}]`);
      }
      const from = src + row * inner;
      heap.copyWithin(dst + i * inner, from, from + inner);
    }
    return out;
  };
  return { kernelName: 'GatherV2', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
