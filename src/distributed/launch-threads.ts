import * as path from 'path';
import { Readable } from 'stream';
import { Worker } from 'worker_threads';
import { SIGNAL_EXIT_CODES, exitReason } from '../callbacks/signal-stop-callback';
import { markStatusExited } from '../callbacks/writers/mark-status-exited';
import { FloeError } from '../errors';
import { Logger } from '../logging/logger';
import type { TrainingResult } from '../trainer/training-result';
import { RankFailedError } from './distributed-errors';
import { rankErrorFacts, reviveFloeError } from './rank-errors';
import { recordRankFailure } from './record-rank-failure';
import { SharedViews } from './shared-buffer-layout';
import { SerializedError, ThreadWorkerData, WorkerMessage, WorkerRecipeOptions } from './worker-messages';
import { resolveWorkerModules } from './worker-modules';

/** Options of {@link launchThreadWorkers}. */
export interface LaunchThreadsOptions {
  /** The recipe as given to `runJob`: a file path or a plain object. */
  recipe: string | Record<string, unknown>;
  /** Overrides and other recipe options each worker re-applies. */
  recipeOptions: WorkerRecipeOptions;
  /** Worker threads to start (one rank each). */
  workers: number;
  /** Collective timeout in milliseconds. */
  timeoutMs: number;
  /** V8 young-generation size of each worker in MiB; 0 or absent keeps Node's default. */
  youngGenerationMb?: number;
  /** Receives rank 0's log lines (and other ranks' errors). */
  logger: Logger;
  /** Run folder, for status.json when rank 0 could not write the failure itself. */
  outputDir: string;
  /** The recipe keeps status.json. */
  status: boolean;
  /** The status file, where the recipe's `status` callback puts it (default `<outputDir>/status.json`). */
  statusFile?: string;
  /** Turn SIGINT/SIGTERM into a clean stop of every worker (a second signal exits). */
  handleSignals: boolean;
  /** Modules each worker imports first. */
  modules?: string[];
  /** After a failure, how long ranks get to stop on their own before they are terminated. Default 1000 ms. */
  graceMs?: number;
}

interface RankState {
  worker: Worker;
  result?: TrainingResult;
  error?: SerializedError;
  /** The rank reported its error itself (rank 0 has then written status.json). */
  reported: boolean;
  exited: boolean;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** A repeat of the first signal sooner than this is the same request delivered twice. */
const REPEAT_MS = 500;

/**
 * Runs a recipe on `workers` worker threads of this process, one rank each (see
 * `thread-worker-entry`, `thread-worker-main`), and returns rank 0's result. If any rank throws
 * or exits non-zero, the job is aborted: ranks waiting in a collective stop at once, the rest are
 * terminated after `graceMs`, and the returned promise rejects with rank 0's own user-input error
 * as one process raises it (a DataError, CheckpointError, ConfigError, ...), else with a
 * {@link RankFailedError} naming the first rank that failed. Checkpoints are written atomically by
 * rank 0, so the last one stays intact.
 */
export async function launchThreadWorkers(options: LaunchThreadsOptions): Promise<TrainingResult> {
  const startedAt = Date.now();
  const modules = resolveWorkerModules(options.modules ?? []);
  const shared = SharedViews.create(options.workers);
  const entry = path.join(__dirname, 'thread-worker-entry.js');
  const sourceMaps = sourceMapsEnabled();
  const columns = process.stderr.isTTY === true ? process.stderr.columns : undefined;
  const failures: Array<{ rank: number; error: SerializedError }> = [];
  let graceTimer: NodeJS.Timeout | undefined;
  let signals = 0;

  const ranks: RankState[] = Array.from({ length: options.workers }, (_, rank) => {
    const data: ThreadWorkerData = {
      rank,
      size: options.workers,
      buffer: shared.buffer,
      timeoutMs: options.timeoutMs,
      recipe: options.recipe,
      options: options.recipeOptions,
      modules,
      terminalColumns: columns,
      sourceMaps,
    };
    const young = options.youngGenerationMb ?? 0;
    const resourceLimits = young > 0 ? { maxYoungGenerationSizeMb: young } : undefined;
    const worker = new Worker(entry, { workerData: data, stdout: true, stderr: true, resourceLimits });
    forwardOutput(worker, rank);
    return { worker, reported: false, exited: false };
  });

  let terminated = false;
  const terminateAll = (): void => {
    terminated = true;
    for (const r of ranks) if (!r.exited) void r.worker.terminate();
  };
  const fail = (rank: number, error: SerializedError): void => {
    failures.push({ rank, error });
    if (failures.length > 1) return;
    shared.abort(1, -1, `rank ${rank} failed: ${error.message}`);
    graceTimer = setTimeout(terminateAll, options.graceMs ?? 1000);
  };
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    // The same signal twice within moments is one request delivered twice (GNU timeout signals
    // the process and then its group), not a user asking again: it would exit without saving.
    if (first !== undefined && first.signal === signal && Date.now() - first.at < REPEAT_MS) return;
    first ??= { signal, at: Date.now() };
    if (++signals > 1) {
      options.logger.error(`received ${signal} again: exiting now without saving`);
      markStatusExited(options.outputDir, exitReason(signal), options.statusFile);
      terminateAll();
      process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    }
    options.logger.warn(`received ${signal}: every worker finishes its step, rank 0 saves a checkpoint, then the run stops (send it again to exit now)`);
    for (const r of ranks) if (!r.exited) r.worker.postMessage({ type: 'stop', signal });
  };
  if (options.handleSignals) for (const s of SIGNALS) process.on(s, onSignal);

  try {
    await Promise.all(
      ranks.map(
        (state, rank) =>
          new Promise<void>((resolve) => {
            const { worker } = state;
            worker.on('message', (message: WorkerMessage) => {
              if (message.type === 'log') options.logger[message.level](message.message);
              else if (message.type === 'result') state.result = message.result;
              else {
                state.error = message.error;
                state.reported = true;
                fail(rank, message.error);
              }
            });
            worker.on('error', (error) => {
              // Uncaught in the worker, outside its runJob (a module that fails to load there).
              state.error = { name: error.name, message: error.message, stack: error.stack, facts: rankErrorFacts(error), oneProcess: false };
              fail(rank, state.error);
            });
            worker.on('exit', (code) => {
              state.exited = true;
              if (state.result === undefined && state.error === undefined) {
                // A rank this launcher terminated (still busy after the grace time) did not fail by itself.
                state.error = terminated
                  ? { name: 'JobAbortedError', message: `rank ${rank} was terminated: it had not stopped ${options.graceMs ?? 1000} ms after the job was aborted` }
                  : { name: 'Error', message: `worker exited with code ${code} before finishing` };
                fail(rank, state.error);
              }
              resolve();
            });
          }),
      ),
    );
  } finally {
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  }

  if (failures.length === 0) return ranks[0].result as TrainingResult;
  // The root cause: rank 0's own failure if it had one (errors every rank hits alike), else the
  // first failure that is not just a rank stopping because of the abort.
  const own = failures.filter((f) => f.error.name !== 'JobAbortedError');
  const cause = own.find((f) => f.rank === 0) ?? own[0] ?? failures[0];
  const hint = lacksRegistrations(cause.error)
    ? `\nThe recipe is valid in the launching thread, so the workers lack classes registered there: a worker imports only the recipe's code: modules and runJob's workerModules; name the modules that register your classes in one of them.`
    : '';
  const error = (cause.rank === 0 ? oneProcessError(cause.error, hint) : undefined) ?? rankFailure(cause, options.workers, hint);
  // Rank 0 records its own failure in status.json; if it was terminated instead, do it here,
  // keeping the step and checkpoint rank 0 last wrote.
  if (options.status && !ranks[0].reported) {
    const file = options.statusFile ?? path.join(options.outputDir, 'status.json');
    await recordRankFailure({ file, error, jobStartMs: startedAt }).catch((e: Error) => options.logger.warn(`cannot write status.json: ${e.message}`));
  }
  throw error;
}

/** Rank 0's stdout/stderr go to the process's; other ranks' stderr is kept, prefixed with the rank. */
function forwardOutput(worker: Worker, rank: number): void {
  if (rank === 0) {
    worker.stdout.pipe(process.stdout, { end: false });
    worker.stderr.pipe(process.stderr, { end: false });
    return;
  }
  worker.stdout.resume();
  prefixLines(worker.stderr, `[rank ${rank}] `);
}

function prefixLines(stream: Readable, prefix: string): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) process.stderr.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => {
    if (pending !== '') process.stderr.write(`${prefix}${pending}\n`);
  });
}

/**
 * The launcher resolved every type of this recipe before starting the workers: a worker that finds
 * one unknown lacks a registration made in the launching thread's code (not by `code:`).
 */
function lacksRegistrations(error: SerializedError): boolean {
  return error.name === 'ConfigError' && /unknown trainer type '|\.type '[^']*' is not supported/.test(error.message);
}

/**
 * A user-input error of rank 0 (a recipe error found once the data is built, a bad data line, a
 * corrupt checkpoint, a plugin's failing loss) is the one every rank finds, and the one a single
 * process finds: the ranks share the process, the files and the recipe. It is raised as that
 * error, with the same class, text and fields, not as one rank's failure; not when the launcher
 * adds a hint to it. (Another rank's is the cause only when rank 0 had none of its own, so its
 * rank is worth saying.)
 */
function oneProcessError(serialized: SerializedError, hint: string): FloeError | undefined {
  if (serialized.oneProcess !== true || serialized.facts === undefined || hint !== '') return undefined;
  return reviveFloeError({ name: serialized.name, message: serialized.message, stack: serialized.stack, ...serialized.facts });
}

/** `rank 1 of 2 failed: ...`; internal when the rank threw something other than a FloeError. */
function rankFailure(cause: { rank: number; error: SerializedError }, workers: number, hint: string): RankFailedError {
  const { facts } = cause.error;
  const internal = facts !== undefined && !facts.chain.includes('FloeError');
  const prefix = `rank ${cause.rank} of ${workers} failed: `;
  const error = new RankFailedError(cause.rank, `${prefix}${cause.error.message}${hint}`, { cause: rebuild(cause.error), internal });
  // The stack an internal error is reported with is the rank's own, where the bug is.
  if (internal && cause.error.stack !== undefined) error.stack = `${prefix}${cause.error.stack}`;
  return error;
}

/**
 * This thread maps stack traces through source maps (bin/floe.js, `node --enable-source-maps`).
 * Node before 20.7 has no `process.sourceMapsEnabled`: then a stack taken here names this file's
 * .ts source only when maps are on.
 */
function sourceMapsEnabled(): boolean {
  const known = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled;
  return known ?? /launch-threads\.ts:\d+/.test(new Error().stack ?? '');
}

function rebuild(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}
