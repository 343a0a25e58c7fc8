import { IsNumber, IsOptional, Max, Min } from 'class-validator';
import { ComponentConfig, ConfigClass } from '../config/component-config';
import { ConfigRule } from '../config/config-rule';
import { HumanNumber, IsCount } from '../config/human-number';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { LrSchedule } from './lr-schedule';

/**
 * Two settings that say the same thing two ways (a length in steps and as a share of training):
 * giving both is an error naming both, rather than one silently winning.
 */
export function exclusiveProblem<C extends object>(config: C, steps: keyof C & string, ratio: keyof C & string): string | undefined {
  const a = config[steps];
  const b = config[ratio];
  if (a === undefined || a === null || b === undefined || b === null) return undefined;
  return `give ${steps} (${String(a)}) or ${ratio} (${String(b)}), not both: both set the same length, ${steps} in optimizer steps and ${ratio} as a share of the training steps (to drop one that an extended recipe sets, set it to null)`;
}

/** Base config of LR scheduler factories (recipe section `scheduler:`). */
export class SchedulerConfig extends ComponentConfig {
  /** Warmup length in optimizer steps (exclusive with warmupRatio). */
  @IsOptional()
  @HumanNumber()
  @IsCount()
  warmupSteps?: number;

  /** Warmup length as a fraction of the training horizon, e.g. 0.05 (exclusive with warmupSteps). */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  @ConfigRule('oneWarmup', (c: SchedulerConfig) => exclusiveProblem(c, 'warmupSteps', 'warmupRatio'))
  warmupRatio?: number;

  /**
   * The schedule's phases whose length is given in optimizer steps (`warmupSteps`; `wsd` adds
   * `decaySteps`), for the check that they fit an explicit `trainIters` at validation.
   */
  phasesInSteps(): SchedulePhaseSteps {
    return { warmup: typeof this.warmupSteps === 'number' ? this.warmupSteps : 0, after: [] };
  }
}

/** Lengths a scheduler config fixes in optimizer steps (see {@link SchedulerConfig.phasesInSteps}). */
export interface SchedulePhaseSteps {
  /** Warmup steps (0 when none are given in steps). */
  warmup: number;
  /** Later phases given in steps, each with the setting that gives it (`decaySteps`). */
  after: SchedulePhase[];
}

/** One schedule phase whose length a setting gives in optimizer steps. */
export interface SchedulePhase {
  /** The setting, as the scheduler section names it (`decaySteps`). */
  setting: string;
  /** Its length in optimizer steps. */
  steps: number;
}

/** Builds the run's learning-rate schedule: a pure function of the optimizer step. */
export abstract class SchedulerFactory<C extends SchedulerConfig = SchedulerConfig> extends Component<C> {
  static override readonly kind: string = 'scheduler';
  static override readonly configType: ConfigClass = SchedulerConfig;
  /** Builds the schedule; `trainer.trainingHorizon` and the optimizer's peak `lr` are known by then. */
  abstract createSchedule(): LrSchedule;
}

/** The scheduler factory kind: trainers list them in `schedulerFactoryType`. */
export const SCHEDULER_KIND = defineComponentKind({
  name: 'scheduler',
  label: 'scheduler factory',
  baseConfig: SchedulerConfig,
  requiredMethods: ['createSchedule'],
  synchronousMethods: ['createSchedule'],
  trainerAttribute: 'schedulerFactoryType',
  recipeSection: 'scheduler',
});
