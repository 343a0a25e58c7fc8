/**
 * Entry of one `threads` rank: a worker thread with its own tfjs engine and backend. It imports
 * Floe (registering the built-ins) and any extra modules, re-resolves the recipe itself (so
 * `code:` plugins load here too) and runs it through `runJob` with its rank's communicator.
 * Rank 0's log lines go to the launcher; other ranks log errors only.
 */
import 'reflect-metadata';
import { parentPort, workerData } from 'worker_threads';
import { Callback, CallbackConfig } from '../callbacks/callback';
import { TrainerControl } from '../callbacks/trainer-control';
import { Logger, LogLevel } from '../logging/logger';
import { runJob } from '../trainer/run-job';
import type { Trainer } from '../trainer/trainer';
import { JobAbortedError } from './distributed-errors';
import { ThreadsCommunicator } from './threads-communicator';
import { LauncherMessage, serializeError, ThreadWorkerData, WorkerMessage } from './worker-messages';
import '../index';

/** Applies a signal the launcher received, at the end of the step, as `signal-stop` would. */
class ForwardedSignalCallback extends Callback {
  received?: string;
  constructor(trainer: Trainer) {
    super(trainer, new CallbackConfig());
  }
  override async onStepEnd(control: TrainerControl): Promise<void> {
    if (this.received === undefined) return;
    control.stop(this.received);
    control.shouldSave = true;
  }
}

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

async function main(data: ThreadWorkerData): Promise<void> {
  for (const module of data.modules) require(module);
  if (data.rank === 0 && data.terminalColumns !== undefined) {
    // Worker stdio is a pipe to the launcher, which writes to a terminal: let the progress bar draw.
    Object.assign(process.stderr, { isTTY: true, columns: data.terminalColumns });
  }
  const comm = new ThreadsCommunicator(data.buffer, data.rank, { timeoutMs: data.timeoutMs });
  const logger = new Logger({
    level: data.rank === 0 ? 'debug' : 'error',
    sink: (level: LogLevel, line: string) => {
      const prefix = `${level}: `;
      const message = line.startsWith(prefix) ? line.slice(prefix.length) : line;
      post({ type: 'log', level, message: data.rank === 0 ? message : `[rank ${data.rank}] ${message}` });
    },
  });
  const forwarded: ForwardedSignalCallback[] = [];
  // A signal can arrive while the trainer is still being built (data, model): keep it for the
  // callback, or the run would ignore the Ctrl-C and train to the end.
  let signal: string | undefined;
  parentPort?.on('message', (message: LauncherMessage) => {
    if (message.type !== 'stop') return;
    signal ??= message.signal;
    for (const cb of forwarded) cb.received ??= message.signal;
  });
  parentPort?.unref();
  try {
    const result = await runJob(data.recipe, {
      ...data.options,
      // The launcher owns the process's signals and forwards them.
      overrides: [...data.options.overrides, 'handleSignals=false'],
      logger,
      communicator: comm,
      onTrainerReady: (trainer) => {
        const cb = new ForwardedSignalCallback(trainer);
        cb.received = signal;
        forwarded.push(cb);
        trainer.callbackList.callbacks.unshift(cb);
      },
    });
    post({ type: 'result', result });
  } catch (error) {
    if (!(error instanceof JobAbortedError)) comm.abort(1, `rank ${data.rank} failed: ${error instanceof Error ? error.message : String(error)}`);
    post({ type: 'error', error: serializeError(error) });
  }
}

void main(workerData as ThreadWorkerData);
