import { IsIn, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { ConfigRule, isFiniteNumber } from '../config/config-rule';
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
  protected override extraOptions(): Record<string, unknown> {
    const c = this.config;
    // null (written to drop a setting an extended recipe gives) is the same as leaving it out.
    const decaySteps = c.decaySteps ?? undefined;
    return { minLrRatio: c.minLrRatio, decaySteps, decayRatio: decaySteps === undefined ? (c.decayRatio ?? 0.1) : undefined, decayShape: c.decayShape };
  }
}
