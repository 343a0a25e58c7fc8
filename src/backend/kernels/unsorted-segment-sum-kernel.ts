import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './wasm-backend-internals';

/**
 * `UnsortedSegmentSum` for wasm, which tfjs-backend-wasm lacks; without it the gradient of
 * `tf.gather` (an embedding lookup) throws. `out[segmentIds[i], ...] += x[i, ...]`, where
 * `segmentIds` covers the leading axes of `x`; ids outside `[0, numSegments)` are dropped, as in
 * TensorFlow. A plain JS loop over the heap buffers: it is memory-bound either way.
 */
export function createUnsortedSegmentSumKernel(): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const numSegments = Number((args.attrs as NamedAttrMap).numSegments);
    if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum on wasm: unsupported dtype ${x.dtype}`);
    const backend = asWasmBackend(args.backend);
    const innerShape = x.shape.slice(segmentIds.shape.length);
    const inner = tf.util.sizeFromShape(innerShape);
    const rows = tf.util.sizeFromShape(segmentIds.shape);
    const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const values = backend.typedArrayFromHeap(x);
    const ids = backend.typedArrayFromHeap(segmentIds);
    const sums = backend.typedArrayFromHeap(out);
    sums.fill(0);
    for (let r = 0; r < rows; r++) {
      const segment = ids[r];
      if (segment < 0 || segment >= numSegments) continue;
      const src = r * inner;
      const dst = segment * inner;
      for (let j = 0; j < inner; j++) sums[dst + j] += values[src + j];
    }
    return out;
  };
  return { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc };
}
