import { LrSchedule } from './lr-schedule';
import { makeSchedule, ScheduleKind, ScheduleOptions } from './make-schedule';
import { SchedulerConfig, SchedulerFactory } from './scheduler-factory';

/**
 * Shared by the built-in schedules: peak lr from the optimizer config, horizon and warmup from
 * the trainer, and the schedule's own settings from `extraOptions()`.
 */
export abstract class BuiltinScheduleFactory<C extends SchedulerConfig = SchedulerConfig> extends SchedulerFactory<C> {
  /** Schedule-specific options (min lr, decay phase, ...). */
  protected extraOptions(): Record<string, unknown> {
    return {};
  }

  createSchedule(): LrSchedule {
    const kind = (this.constructor as unknown as { type: ScheduleKind }).type;
    return makeSchedule({
      kind,
      peakLr: this.trainer.config.optimizer.lr,
      totalSteps: this.trainer.trainingHorizon,
      warmupSteps: this.trainer.warmupSteps,
      ...this.extraOptions(),
    } as ScheduleOptions);
  }
}
