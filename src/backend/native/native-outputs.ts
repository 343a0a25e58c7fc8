import type { TensorInfo } from '@tensorflow/tfjs';
import { heapOffset, type WasmBackendInternals } from '../kernels/wasm-backend-internals';

// What asks for huge pages on a heap (the active addon's adviseHugePages; set by syncFusedKernels,
// as importing the addon status here would be circular), and the heap last advised, weakly held:
// a disposed backend's memory must stay collectable. Each worker thread has its own of both.
let advisor: ((heap: Uint8Array) => unknown) | undefined;
let advised: WeakRef<ArrayBufferLike> | undefined;

/** Sets (or clears) what {@link withOutputs} calls on each new heap buffer. */
export function setHeapAdvisor(advise: ((heap: Uint8Array) => unknown) | undefined): void {
  advisor = advise;
  advised = undefined;
}

/** Asks for transparent huge pages on the heap once per heap buffer, i.e. again after each growth. */
function adviseHeap(heap: Uint8Array): void {
  if (advisor === undefined || advised?.deref() === heap.buffer) return;
  advised = new WeakRef(heap.buffer);
  advisor(heap);
}

/**
 * Allocates `shapes` as float32 outputs of a native kernel, then runs `compute` with the wasm
 * heap and their byte offsets; disposes them all if it throws. The heap view (and any input
 * offset `compute` reads) comes after every allocation: allocating may grow the heap and detach
 * older views.
 */
export function withOutputs(backend: WasmBackendInternals, shapes: number[][], compute: (heap: Uint8Array, offsets: number[]) => void): TensorInfo[] {
  const outs = shapes.map((shape) => backend.makeOutput(shape, 'float32'));
  try {
    adviseHeap(backend.wasm.HEAPU8);
    compute(backend.wasm.HEAPU8, outs.map((out) => heapOffset(backend, out)));
  } catch (error) {
    for (const out of outs) backend.disposeData(out.dataId);
    throw error;
  }
  return outs;
}
