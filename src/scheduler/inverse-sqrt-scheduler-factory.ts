import { IsOptional, IsPositive } from 'class-validator';
import { HumanNumber } from '../config/human-number';
import { register } from '../registry/register';
import { BuiltinScheduleFactory } from './schedule-factory-base';
import { SchedulerConfig } from './scheduler-factory';

/** Config of `inverse-sqrt`: warmup, then lr ∝ 1/sqrt(step). */
export class InverseSqrtSchedulerConfig extends SchedulerConfig {
  /** Time scale of the decay in steps (default: the warmup length, else 10000). */
  @IsOptional()
  @HumanNumber()
  @IsPositive()
  timescale?: number;
}

/** Linear warmup then inverse-square-root decay. */
@register()
export class InverseSqrtSchedulerFactory extends BuiltinScheduleFactory<InverseSqrtSchedulerConfig> {
  static override readonly type: string = 'inverse-sqrt';
  static override readonly configType = InverseSqrtSchedulerConfig;
  protected override extraOptions(): Record<string, unknown> {
    return { timescale: this.config.timescale };
  }
}
