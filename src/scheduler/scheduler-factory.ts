import { IsNumber, IsOptional, Max, Min } from 'class-validator';
import { ComponentConfig, ConfigClass } from '../config/component-config';
import { HumanNumber, IsCount } from '../config/human-number';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { LrSchedule } from './lr-schedule';

/** Base config of LR scheduler factories (recipe section `scheduler:`). */
export class SchedulerConfig extends ComponentConfig {
  /** Warmup length in optimizer steps (exclusive with warmupRatio). */
  @IsOptional()
  @HumanNumber()
  @IsCount()
  warmupSteps?: number;

  /** Warmup length as a fraction of the training horizon, e.g. 0.05. */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  warmupRatio?: number;
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
  trainerAttribute: 'schedulerFactoryType',
  recipeSection: 'scheduler',
});
