import { IsIn, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { HumanNumber, IsCount } from '../config/human-number';
import { register } from '../registry/register';
import { DecayingSchedulerConfig } from './decaying-scheduler-config';
import { BuiltinScheduleFactory } from './schedule-factory-base';

/** Config of `wsd`: warmup, a stable phase at the peak, then a decay phase. */
export class WsdSchedulerConfig extends DecayingSchedulerConfig {
  /** Length of the final decay phase in steps (exclusive with decayRatio). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  decaySteps?: number;

  /** Decay phase as a fraction of the training horizon (default 0.1). */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  decayRatio?: number;

  /** Curve of the decay phase. */
  @IsIn(['linear', 'cosine', '1-sqrt'])
  decayShape: 'linear' | 'cosine' | '1-sqrt' = 'linear';
}

/** Warmup-stable-decay. */
@register()
export class WsdSchedulerFactory extends BuiltinScheduleFactory<WsdSchedulerConfig> {
  static override readonly type: string = 'wsd';
  static override readonly configType = WsdSchedulerConfig;
  protected override extraOptions(): Record<string, unknown> {
    const c = this.config;
    return { minLrRatio: c.minLrRatio, decaySteps: c.decaySteps, decayRatio: c.decaySteps === undefined ? (c.decayRatio ?? 0.1) : undefined, decayShape: c.decayShape };
  }
}
