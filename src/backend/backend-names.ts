/**
 * Backend names a recipe may ask for, default first. `auto` picks the fastest one installed:
 * `tensorflow-gpu`, then `tensorflow`, then `wasm`.
 */
export const BACKEND_NAMES = ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'] as const;

/** One of {@link BACKEND_NAMES}. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** A backend that actually runs: every {@link BackendName} except `auto`. */
export type ConcreteBackendName = Exclude<BackendName, 'auto'>;

/** True if `name` is one of {@link BACKEND_NAMES} (for config validation; does no I/O). */
export function isBackendName(name: unknown): name is BackendName {
  return typeof name === 'string' && (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Which backend to start; `auto` picks the fastest installed one. */
  name: BackendName;
  /**
   * Compute threads. `wasm` supports only 1 under Node (see `checkWasmThreads`); for the
   * `tensorflow` backends it sets libtensorflow's intra-op pool size if set before first load.
   */
  threads?: number;
}

/** What {@link initBackend} actually started. */
export interface BackendInfo {
  /** The backend in use (never `auto`). */
  name: ConcreteBackendName;
  /** The name that was asked for (may be `auto`). */
  requested: BackendName;
  /** Compute threads in use; 0 means the native library sizes its own pool. */
  threads: number;
  /** Kernels Floe replaced or added for this backend, e.g. `BatchMatMul`. */
  kernelOverrides: string[];
}

/**
 * What a backend name from another tool means here (`gpu`, `cuda`, `webgl`, `tfjs-node`), where
 * spelling alone would suggest a wrong one (`gpu` → `cpu`); undefined for other names.
 */
export function backendNameHint(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  if (/^(gpu|cuda|nvidia|webgl|webgpu|tfjs-node-gpu|@tensorflow\/tfjs-node-gpu|node-gpu)$/i.test(name)) {
    return `For a GPU, use backend tensorflow-gpu (npm install @tensorflow/tfjs-node-gpu; NVIDIA with CUDA, on Linux); webgl and webgpu are browser backends.`;
  }
  if (/^(node|tfjs-node|@tensorflow\/tfjs-node|native|libtensorflow|tf|tensorflow-cpu)$/i.test(name)) {
    return `For libtensorflow on the CPU, use backend tensorflow (npm install @tensorflow/tfjs-node).`;
  }
  return undefined;
}
