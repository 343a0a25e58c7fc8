import { IsNumber, Max, Min } from 'class-validator';
import { SchedulerConfig } from './scheduler-factory';

/** Config of schedules that decay to a floor. */
export class DecayingSchedulerConfig extends SchedulerConfig {
  /** Final lr as a fraction of the peak lr. */
  @IsNumber()
  @Min(0)
  @Max(1)
  minLrRatio = 0;
}
