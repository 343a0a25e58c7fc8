import { register } from '../registry/register';
import { DecayingSchedulerConfig } from './decaying-scheduler-config';
import { BuiltinScheduleFactory } from './schedule-factory-base';

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
