import type { LogLevel } from '../logging/logger';
import type { TrainingResult } from '../trainer/training-result';
import { rankErrorFacts, RankErrorFacts, saidAsOneProcess } from './rank-errors';

/**
 * An error as it crosses a thread boundary.
 * @internal
 */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Class chain and fields of a thrown Error, so the launcher can raise the same error (absent for a rank that exited or was terminated). */
  facts?: RankErrorFacts;
  /** A user-input error, raised by the launcher as one process raises it when rank 0 threw it. */
  oneProcess?: boolean;
}

/**
 * Messages a worker posts to the launcher.
 * @internal
 */
export type WorkerMessage =
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'result'; result: TrainingResult }
  | { type: 'error'; error: SerializedError };

/**
 * Messages the launcher posts to workers.
 * @internal
 */
export type LauncherMessage = { type: 'stop'; signal: string };

/**
 * Recipe options a worker re-applies (everything of RunJobOptions that can be cloned).
 * @internal
 */
export interface WorkerRecipeOptions {
  overrides: string[];
  baseDir?: string;
  name?: string;
  resumeFrom?: string;
}

/**
 * `workerData` of each worker thread.
 * @internal
 */
export interface ThreadWorkerData {
  rank: number;
  size: number;
  buffer: SharedArrayBuffer;
  timeoutMs: number;
  /** The recipe as given to runJob: a file path (re-read, plugins re-imported) or a plain object. */
  recipe: string | Record<string, unknown>;
  options: WorkerRecipeOptions;
  /** Modules imported before the recipe is resolved (classes registered in code rather than by `code:`). */
  modules: string[];
  /** The launcher's stderr is a terminal of this width (rank 0 then draws the progress bar). */
  terminalColumns?: number;
  /** The launching thread has source maps on: the worker turns them on before Floe loads. */
  sourceMaps: boolean;
}

/**
 * Turns anything thrown into a {@link SerializedError}.
 * @internal
 */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack, facts: rankErrorFacts(error), oneProcess: saidAsOneProcess(error) };
  // Something thrown that is no Error is a bug as much as a TypeError is.
  return { name: 'Error', message: String(error), facts: { chain: [], fields: {} }, oneProcess: false };
}
