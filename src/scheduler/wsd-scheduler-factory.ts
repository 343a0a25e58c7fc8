import { IsIn, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { ConfigRule, isFiniteNumber } from '../config/config-rule';
import { ConfigError } from '../errors';
import type { LrSchedule } from './lr-schedule';
import { ceilSteps, countText } from './schedule-checks';
import { HumanNumber, IsCount } from '../config/human-number';
import { register } from '../registry/register';
import { DecayingSchedulerConfig } from './decaying-scheduler-config';
import { exclusiveProblem, SchedulePhaseSteps } from './scheduler-factory';
import { BuiltinScheduleFactory } from './schedule-factory-base';

/** Warmup and decay given as shares of training cannot add up to more than all of it. */
function phasesProblem(c: WsdSchedulerConfig): string | undefined {
  if (!isFiniteNumber(c.warmupRatio) || !isFiniteNumber(c.decayRatio) || typeof c.decaySteps === 'number' || typeof c.warmupSteps === 'number') return undefined;
  if (c.warmupRatio + c.decayRatio <= 1) return undefined;
  return `warmupRatio (${c.warmupRatio}) + decayRatio (${c.decayRatio}) is more than the whole run: together they must be at most 1`;
}

/** Config of `wsd`: warmup, a stable phase at the peak, then a decay phase. */
export class WsdSchedulerConfig extends DecayingSchedulerConfig {
  /** Length of the final decay phase in steps (exclusive with decayRatio). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  decaySteps?: number;

  /** Decay phase as a fraction of the training horizon (default 0.1; exclusive with decaySteps). */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  @ConfigRule('oneDecay', (c: WsdSchedulerConfig) => exclusiveProblem(c, 'decaySteps', 'decayRatio'))
  @ConfigRule('phasesFit', phasesProblem)
  decayRatio?: number;

  /** Curve of the decay phase. */
  @IsIn(['linear', 'cosine', '1-sqrt'])
  decayShape: 'linear' | 'cosine' | '1-sqrt' = 'linear';

  override phasesInSteps(): SchedulePhaseSteps {
    const phases = super.phasesInSteps();
    return typeof this.decaySteps === 'number' ? { ...phases, after: [{ setting: 'decaySteps', steps: this.decaySteps }] } : phases;
  }
}

/** Warmup-stable-decay. */
@register()
export class WsdSchedulerFactory extends BuiltinScheduleFactory<WsdSchedulerConfig> {
  static override readonly type: string = 'wsd';
  static override readonly configType = WsdSchedulerConfig;
  /**
   * Warmup and decay must fit the run, known only once the data is built. Checked here so the
   * error names the recipe settings (`scheduler.decaySteps`, ...) and the run's length, rather than
   * the schedule's internal `totalSteps`.
   */
  override createSchedule(): LrSchedule {
    const c = this.config;
    const horizon = this.trainer.trainingHorizon;
    const warmup = this.trainer.warmupSteps;
    const decaySteps = c.decaySteps ?? undefined;
    const decay = decaySteps ?? ceilSteps((c.decayRatio ?? 0.1) * horizon);
    // A warmup longer than the run on its own is reported by the base class, naming the warmup.
    if (warmup <= horizon && warmup + decay > horizon) {
      const decayGiven = decaySteps !== undefined ? `decaySteps ${decaySteps}` : `decayRatio ${c.decayRatio ?? '0.1 (the default)'} of ${horizon}`;
      const warmupGiven = typeof c.warmupSteps === 'number' ? 'warmupSteps' : 'warmupRatio';
      const field = decaySteps !== undefined ? 'decaySteps' : typeof c.decayRatio === 'number' ? 'decayRatio' : warmupGiven;
      throw new ConfigError([
        {
          path: `scheduler.${field}`,
          message: `warmup (${countText(warmup)}) + decay (${countText(decay)}: ${decayGiven}) is longer than training (${countText(horizon, 'optimizer step')}); shorten them or train longer`,
        },
      ]);
    }
    return super.createSchedule();
  }

  protected override extraOptions(): Record<string, unknown> {
    const c = this.config;
    // null (written to drop a setting an extended recipe gives) is the same as leaving it out.
    const decaySteps = c.decaySteps ?? undefined;
    return { minLrRatio: c.minLrRatio, decaySteps, decayRatio: decaySteps === undefined ? (c.decayRatio ?? 0.1) : undefined, decayShape: c.decayShape };
  }
}
