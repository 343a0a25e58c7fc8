import { ArrayNotEmpty, IsArray, IsIn } from 'class-validator';
import { register } from '../registry/register';
import { Callback, CallbackConfig } from './callback';
import { StatusCallback } from './status-callback';
import { TrainerControl } from './trainer-control';
import { markStatusExited } from './writers/mark-status-exited';

/** Signals that can request a clean stop. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

/** Config of the `signal-stop` callback. */
export class SignalStopConfig extends CallbackConfig {
  /** Signals that stop the run cleanly (a second one exits at once). */
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(STOP_SIGNALS as unknown as string[], { each: true })
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
}

/** Exit code of a process ended by a signal (128 + its number), as shells report it. */
export const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGUSR1: 138, SIGUSR2: 140, SIGTERM: 143 };

/**
 * Turns SIGINT/SIGTERM (Ctrl-C, `kill`, a scheduler's preemption) into a clean stop: the current
 * optimizer step finishes (never half an accumulation cycle), a checkpoint is saved, the status
 * becomes `stopped` and `train()` returns. A second signal exits immediately. Handlers are
 * installed only while training runs and removed by `dispose()`, so the process's own handling
 * is back once `train()` returns.
 */
@register()
export class SignalStopCallback extends Callback<SignalStopConfig> {
  static override readonly type: string = 'signal-stop';
  static override readonly configType = SignalStopConfig;

  /** The first signal received, until it has stopped the run. */
  received?: NodeJS.Signals;
  private handlers = new Map<NodeJS.Signals, () => void>();

  override async onTrainBegin(): Promise<void> {
    for (const signal of this.config.signals) {
      if (this.handlers.has(signal)) continue;
      const handler = (): void => this.onSignal(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  override async onStepEnd(control: TrainerControl): Promise<void> {
    if (this.received === undefined) return;
    control.stop(this.received);
    control.shouldSave = true;
  }

  override async onTrainEnd(): Promise<void> {
    await this.dispose();
  }

  override async dispose(): Promise<void> {
    for (const [signal, handler] of this.handlers) process.removeListener(signal, handler);
    this.handlers.clear();
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.received !== undefined) {
      this.trainer.logger.error(`received ${signal} again: exiting now without saving`);
      // Rank 0 owns the status file; elsewhere (mpi ranks > 0) there is none to mark.
      if (this.trainer.dp.isMain) markStatusExited(this.trainer.context.outputDir, exitReason(signal), this.trainer.callbackList.find(StatusCallback)?.file);
      process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    }
    this.received = signal;
    // No step number: a signal handled during the end-of-step callbacks stops at the step just counted,
    // one handled mid-step at the next, so "the current step" is the only wording true of both.
    this.trainer.logger.warn(`received ${signal}: finishing the current step, saving a checkpoint and stopping (send it again to exit now)`);
  }
}

/** What `status.json` says of a run ended by a second signal. */
export function exitReason(signal: string): string {
  return `received ${signal} twice: exited at once, without saving (the newest checkpoint is intact)`;
}
