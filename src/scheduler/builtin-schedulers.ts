import { IsIn, IsNumber, IsOptional, IsPositive, Max, Min } from 'class-validator';
import { HumanNumber, IsCount } from '../config/human-number';
import { register } from '../registry/register';
import { BuiltinScheduleFactory } from './schedule-factory-base';
import { SchedulerConfig } from './scheduler-factory';

/** Config of `constant`: warmup (optional), then the peak lr throughout. */
export class ConstantSchedulerConfig extends SchedulerConfig {}

/** Constant learning rate after an optional linear warmup. */
@register()
export class ConstantSchedulerFactory extends BuiltinScheduleFactory<ConstantSchedulerConfig> {
  static override readonly type: string = 'constant';
  static override readonly configType = ConstantSchedulerConfig;
}

/** Config of schedules that decay to a floor. */
export class DecayingSchedulerConfig extends SchedulerConfig {
  /** Final lr as a fraction of the peak lr. */
  @IsNumber()
  @Min(0)
  @Max(1)
  minLrRatio = 0;
}

/** Config of `linear`: warmup, then linear decay to `minLrRatio × lr` at the end of training. */
export class LinearSchedulerConfig extends DecayingSchedulerConfig {}

/** Linear warmup then linear decay. */
@register()
export class LinearSchedulerFactory extends BuiltinScheduleFactory<LinearSchedulerConfig> {
  static override readonly type: string = 'linear';
  static override readonly configType = LinearSchedulerConfig;
  protected override extraOptions(): Record<string, unknown> {
    return { minLrRatio: this.config.minLrRatio };
  }
}

/** Config of `cosine`: warmup, then half-cosine decay to `minLrRatio × lr`. */
export class CosineSchedulerConfig extends DecayingSchedulerConfig {}

/** Linear warmup then cosine decay. */
@register()
export class CosineSchedulerFactory extends BuiltinScheduleFactory<CosineSchedulerConfig> {
  static override readonly type: string = 'cosine';
  static override readonly configType = CosineSchedulerConfig;
  protected override extraOptions(): Record<string, unknown> {
    return { minLrRatio: this.config.minLrRatio };
  }
}

/** Config of `wsd`: warmup, a stable phase at the peak, then a decay phase. */
export class WsdSchedulerConfig extends DecayingSchedulerConfig {
  /** Length of the final decay phase in steps (exclusive with decayRatio). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  decaySteps?: number;

  /** Decay phase as a fraction of the training horizon. */
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

/** Config of `inverse-sqrt`: warmup, then lr ∝ 1/sqrt(step). */
export class InverseSqrtSchedulerConfig extends SchedulerConfig {
  /** Time scale of the decay in steps (default: the warmup length, else 10000). */
  @IsOptional()
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
