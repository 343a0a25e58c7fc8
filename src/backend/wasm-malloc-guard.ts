import * as tf from '@tensorflow/tfjs';
import { formatBytes, WASM_MEMORY_MAX_BYTES } from './wasm-memory';

/** The Emscripten module fields the guard touches. */
interface MallocModule {
  _malloc(bytes: number): number;
  /** The wasm exports; Emscripten's `_malloc` stub replaces itself with `asm.malloc` on first call. */
  asm?: { malloc?(bytes: number): number };
  HEAPU8: Uint8Array;
  /** Set once the guard is in place. */
  floeMallocGuarded?: boolean;
}

/** Thrown when the wasm heap cannot hold a new tensor; a RangeError, as the failed growth of a WebAssembly.Memory is. */
export class WasmHeapFullError extends RangeError {}

/**
 * Makes a failed wasm heap allocation throw at once. tfjs-backend-wasm stores every tensor at
 * `wasm._malloc(bytes)` without checking the result: past the 4 GiB cap `malloc` returns 0 and
 * the kernel then writes the output over the start of the heap (other tensors' data) until it
 * goes out of bounds, or Floe's native kernels refuse it as "output overlaps an input". With the
 * guard, the allocation itself fails with a {@link WasmHeapFullError} that says how full the heap
 * is, and nothing is overwritten. `module` defaults to the current wasm backend's; idempotent.
 */
export function guardWasmMalloc(module?: MallocModule): void {
  const wasm = module ?? (tf.backend() as unknown as { wasm: MallocModule }).wasm;
  if (wasm.floeMallocGuarded === true) return;
  const stub = wasm._malloc;
  // The stub swaps itself for the export on first call (which would drop a wrapper of it): wrap the export.
  const malloc = wasm.asm?.malloc ?? stub;
  wasm._malloc = (bytes: number): number => {
    const offset = malloc(bytes);
    if (offset === 0 && bytes > 0) {
      const heap = wasm.HEAPU8.byteLength;
      throw new WasmHeapFullError(
        `out of memory: the wasm heap (${formatBytes(heap)} now, at most ${formatBytes(WASM_MEMORY_MAX_BYTES)}) has no room for a tensor of ${formatBytes(bytes >>> 0)}`,
      );
    }
    return offset;
  };
  wasm.floeMallocGuarded = true;
}
