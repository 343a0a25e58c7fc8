import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, heapOffset, type WasmBackendInternals } from './kernels/wasm-backend-internals';

/** The wasm backend's internals when `t`'s data lives in its heap, else undefined. */
function wasmHeapOf(t: tf.Tensor): WasmBackendInternals | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = asWasmBackend(tf.backend());
  return backend.dataIdMap.has(t.dataId) ? backend : undefined;
}

/**
 * Copies float32 tensors into `dst` (`tensors[i]` from `dst[offsets[i]]` on). On wasm each copy
 * reads the heap directly: no intermediate array per tensor, so a data-parallel step does not
 * allocate megabytes of short-lived buffers (which cost garbage-collection pauses). Elsewhere it
 * reads with `data()`.
 */
export async function copyTensorsInto(tensors: readonly tf.Tensor[], dst: Float32Array, offsets: readonly number[]): Promise<void> {
  const slow: number[] = [];
  tensors.forEach((t, i) => {
    if (t.dtype !== 'float32') throw new Error(`copyTensorsInto reads float32 tensors, got ${t.dtype}`);
    const backend = wasmHeapOf(t);
    if (backend === undefined) {
      slow.push(i);
      return;
    }
    dst.set(new Float32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, t), t.size), offsets[i]);
  });
  const values = await Promise.all(slow.map((i) => tensors[i].data<'float32'>()));
  slow.forEach((i, k) => dst.set(values[k], offsets[i]));
}
