import { register } from '../registry/register';
import { DecayingSchedulerConfig } from './decaying-scheduler-config';
import { BuiltinScheduleFactory } from './schedule-factory-base';

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
