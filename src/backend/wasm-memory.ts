import { TrainingError } from '../errors';

/**
 * Most bytes the `wasm` backend can hold: all its tensors live in one wasm32 WebAssembly memory,
 * which tfjs-backend-wasm's Emscripten build lets grow to `getHeapMax()` = 4 GiB − 64 KiB
 * (wasm-out/tfjs-backend-wasm*.js). The `cpu` backend keeps each tensor in its own JS array and
 * the `tensorflow` backends in native memory: neither has such a shared cap.
 */
export const WASM_MEMORY_MAX_BYTES = 4_294_901_760;

/** What to do when a run does not fit the wasm memory; said by the early check and by the rewrap. */
export const WASM_MEMORY_ADVICE =
  'Train fewer weights (with model.lora or freeze: patterns the rest keep no gradients or optimizer state), use a smaller model, ' +
  'or use backend: tensorflow after npm install @tensorflow/tfjs-node (native memory, no such cap)';

/** {@link WASM_MEMORY_ADVICE} for a model built to run (evaluate, generate, export): no gradients or optimizer state to save. */
export const WASM_INFERENCE_ADVICE =
  'Use a smaller model, or the tensorflow backend after npm install @tensorflow/tfjs-node (backend: tensorflow in the recipe, --backend tensorflow for floe generate; native memory, no such cap)';

/** `1.23 GiB` / `456.0 MiB` / `3.8 KiB`: binary units, as the limit is a power of two. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}

/** `WebAssembly.RuntimeError` (the project's TS lib has no WebAssembly types). */
const wasmRuntimeError = (globalThis as { WebAssembly?: { RuntimeError: abstract new () => Error } }).WebAssembly?.RuntimeError;

/**
 * True if `error` (or an error in its `cause` chain: a loss error wraps the tfjs one) is what the
 * wasm backend throws when its memory is full: Floe's guard on tfjs-backend-wasm's `malloc` throws
 * a RangeError (`WasmHeapFullError`) when it returns 0; unguarded, the next kernel writes out of
 * bounds (`RuntimeError: memory access out of bounds`, a `WebAssembly.RuntimeError`); growing the
 * memory itself fails with a RangeError.
 */
export function isWasmOutOfMemory(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (wasmRuntimeError !== undefined && e instanceof wasmRuntimeError && /memory access out of bounds|out of memory|OOM|Cannot enlarge memory/i.test(e.message)) return true;
    if (e instanceof RangeError && /WebAssembly\.Memory|Array buffer allocation failed|out of memory/i.test(e.message)) return true;
  }
  return false;
}

/** What {@link wasmOutOfMemoryError} reports. */
export interface WasmOutOfMemoryOptions {
  /** The error the step threw; kept as `cause`. */
  error: unknown;
  /** The backend the run uses; only `wasm` errors are rewrapped. */
  backend: string;
  /** Bytes tfjs held when it failed (`tf.memory().numBytes`). */
  heldBytes: number;
  /** The wasm memory maximum (default {@link WASM_MEMORY_MAX_BYTES}). */
  limitBytes?: number;
}

/**
 * A {@link TrainingError} naming the wasm memory cap and what to do, with the original as `cause`,
 * when `error` is the wasm backend running out of memory; `error` itself otherwise.
 */
export function wasmOutOfMemoryError(options: WasmOutOfMemoryOptions): unknown {
  const { error, backend, heldBytes } = options;
  if (backend !== 'wasm' || !isWasmOutOfMemory(error)) return error;
  const limit = options.limitBytes ?? WASM_MEMORY_MAX_BYTES;
  const original = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const message =
    `The wasm backend ran out of memory (tfjs reported "${original}"): its tensors share one WebAssembly memory of at most ` +
    `${formatBytes(limit)} (${limit} bytes), and ${formatBytes(heldBytes)} was held when it failed; activations grow with ` +
    `microBatchSize × data.maxLength. Lower those (raise gradientAccumulationSteps to keep the global batch), turn on model.activationCheckpointing, or: ${WASM_MEMORY_ADVICE}.`;
  return new TrainingError(message, { cause: error });
}
