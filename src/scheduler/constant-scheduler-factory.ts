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
