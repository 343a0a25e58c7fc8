import { ConfigError } from '../errors';
import { LrSchedule } from './lr-schedule';
import { makeSchedule, ScheduleKind, ScheduleOptions } from './make-schedule';
import { countText } from './schedule-checks';
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
    const horizon = this.trainer.trainingHorizon;
    const warmup = this.trainer.warmupSteps;
    // Known only once the data is built, so checked here rather than at validation (where only
    // an explicit trainIters bounds the horizon; see TrainerConfig.trainIters). A warmup may take
    // all of training (the rate then only rises), not more.
    if (warmup > horizon) {
      const field = typeof this.config.warmupSteps === 'number' ? 'warmupSteps' : 'warmupRatio';
      throw new ConfigError([{ path: `scheduler.${field}`, message: `warmup of ${countText(warmup)} is longer than training (${countText(horizon, 'optimizer step')}); lower it or train longer` }]);
    }
    return makeSchedule({
      kind,
      peakLr: this.trainer.config.optimizer.lr,
      totalSteps: horizon,
      warmupSteps: warmup,
      ...this.extraOptions(),
    } as ScheduleOptions);
  }
}
