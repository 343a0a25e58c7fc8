import type { TensorInfo } from '@tensorflow/tfjs';
import { heapOffset, type WasmBackendInternals } from '../kernels/wasm-backend-internals';

/**
 * Allocates `shapes` as float32 outputs of a native kernel, then runs `compute` with the wasm
 * heap and their byte offsets; disposes them all if it throws. The heap view (and any input
 * offset `compute` reads) comes after every allocation: allocating may grow the heap and detach
 * older views.
 */
export function withOutputs(backend: WasmBackendInternals, shapes: number[][], compute: (heap: Uint8Array, offsets: number[]) => void): TensorInfo[] {
  const outs = shapes.map((shape) => backend.makeOutput(shape, 'float32'));
  try {
    compute(backend.wasm.HEAPU8, outs.map((out) => heapOffset(backend, out)));
  } catch (error) {
    for (const out of outs) backend.disposeData(out.dataId);
    throw error;
  }
  return outs;
}
