import { BackendUnavailableError, FloeError } from '../errors';

/**
 * Checks a `threads` request for the wasm backend; returns the thread count to use (always 1).
 *
 * Why wasm stays on one thread under Node (tfjs-backend-wasm 4.22, checked on Node 20):
 * - tfjs hard-codes the `WASM_HAS_MULTITHREAD_SUPPORT` flag to false when `IS_NODE`
 *   (tensorflow/tfjs#3830). Forcing the flag true is possible without touching Node, but then
 * - the threaded binary's pthread pool spawns Web Workers from a `blob:` URL made by
 *   `URL.createObjectURL`, and Node's `worker_threads.Worker` rejects blob URLs
 *   (ERR_WORKER_PATH), so backend start-up fails. The worker script also expects browser
 *   globals (`self`, `importScripts`).
 * Making it work means replacing `URL.createObjectURL` / `Worker` / worker globals, i.e. patching
 * Node globals for the whole process: fragile, so Floe refuses instead. For parallelism use the
 * `tensorflow` backend or data-parallel worker processes.
 */
export function checkWasmThreads(threads: number | undefined): number {
  if (threads === undefined || threads === 1) return 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new FloeError(`Invalid threads: ${threads}. Expected a positive integer.`);
  }
  throw new BackendUnavailableError(
    `The wasm backend cannot use ${threads} threads under Node.js: tfjs disables wasm multithreading ` +
      `in Node (its worker pool needs browser Web Workers), and enabling it would mean patching Node ` +
      `globals. Use threads: 1, or backend 'tensorflow' (npm install @tensorflow/tfjs-node) for multi-core speed.`,
  );
}
