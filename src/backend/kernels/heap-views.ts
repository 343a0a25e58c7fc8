import type { WasmBackendInternals } from './wasm-backend-internals';

/**
 * Temporary tensor ids that alias slices of existing wasm-heap buffers, so a wasm function can
 * work on one batch entry of a larger tensor without a copy.
 *
 * A view is registered only with the C++ side (`register_tensor`), never in the JS data map, and
 * is released with `dispose_data` only: the JS `disposeData` would `free()` the pointer, which for
 * an interior pointer corrupts the heap. Releasing also runs the C++ disposal callbacks, which
 * drop any XNNPACK operator (packed weights) cached on the view's id.
 */
export class HeapViews {
  private readonly ids: number[] = [];

  constructor(private readonly backend: WasmBackendInternals) {}

  /** Registers `size` elements starting at byte `offset` under a fresh tensor id; returns the id. */
  view(offset: number, size: number): number {
    // Same counter as the backend's own ids, so a view id can never collide with a tensor's.
    const id = this.backend.dataIdNextNumber++;
    this.backend.wasm.tfjs.registerTensor(id, size, offset);
    this.ids.push(id);
    return id;
  }

  /** Releases every view registered so far. Safe to call repeatedly. */
  release(): void {
    for (const id of this.ids) this.backend.wasm.tfjs.disposeData(id);
    this.ids.length = 0;
  }
}
