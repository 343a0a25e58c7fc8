import { ConfigError, didYouMean } from '../errors';
import { ConstantScheduleOptions, constantSchedule } from './constant-schedule';
import { CosineScheduleOptions, cosineSchedule } from './cosine-schedule';
import { InverseSqrtScheduleOptions, inverseSqrtSchedule } from './inverse-sqrt-schedule';
import { LinearScheduleOptions, linearSchedule } from './linear-schedule';
import { LrSchedule } from './lr-schedule';
import { WsdScheduleOptions, wsdSchedule } from './wsd-schedule';

/** Schedule kinds, in the words a recipe uses. */
export const SCHEDULE_KINDS = ['constant', 'linear', 'cosine', 'wsd', 'inverse-sqrt'] as const;

/** One of {@link SCHEDULE_KINDS}. */
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** Options of {@link makeSchedule}: a schedule kind plus that schedule's options. */
export type ScheduleOptions =
  | ({ kind: 'constant' } & ConstantScheduleOptions)
  | ({ kind: 'linear' } & LinearScheduleOptions)
  | ({ kind: 'cosine' } & CosineScheduleOptions)
  | ({ kind: 'wsd' } & WsdScheduleOptions)
  | ({ kind: 'inverse-sqrt' } & InverseSqrtScheduleOptions);

/**
 * Builds the schedule named by `options.kind`. The result maps the 0-based index of the optimizer
 * step about to be taken (the optimizer's `stepCount` before the update) to its learning rate.
 * Throws `ConfigError` listing every invalid option.
 */
export function makeSchedule(options: ScheduleOptions): LrSchedule {
  switch (options.kind) {
    case 'constant':
      return constantSchedule(options);
    case 'linear':
      return linearSchedule(options);
    case 'cosine':
      return cosineSchedule(options);
    case 'wsd':
      return wsdSchedule(options);
    case 'inverse-sqrt':
      return inverseSqrtSchedule(options);
    default: {
      const kind = String((options as { kind: unknown }).kind);
      throw new ConfigError([{ path: 'kind', message: `unknown schedule '${kind}'. Supported: ${SCHEDULE_KINDS.join(', ')}.${didYouMean(kind, SCHEDULE_KINDS)}` }], 'Invalid schedule options');
    }
  }
}
