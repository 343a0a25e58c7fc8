/**
 * First module of a `threads` rank's worker thread. A worker does not inherit source maps turned
 * on at run time in the launching thread (bin/floe.js's `process.setSourceMapsEnabled`), and Node
 * maps only files loaded after they are on: turn them on here, as the launcher has them, before
 * any of Floe's modules load, so a rank's stack traces and registration sites name src/*.ts (and a
 * plugin's .ts) lines as one process's do. Then start the rank (`thread-worker-main`).
 */
import { workerData } from 'worker_threads';
import type { ThreadWorkerData } from './worker-messages';

if ((workerData as ThreadWorkerData).sourceMaps === true && typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the line above, which an import would precede
require('./thread-worker-main');
