import { ComponentConfig, ConfigClass } from '../config/component-config';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { TrainerControl } from './trainer-control';

/** Metrics of a log or evaluation event: name → value (`loss`, `lr`, `eval/loss`, ...). */
export type Metrics = Record<string, number>;

/** Base config of callbacks (entries of the recipe's `callbacks:` list). */
export class CallbackConfig extends ComponentConfig {}

/**
 * Observes training through async hooks; changes the flow only through the {@link TrainerControl}.
 * Override only the hooks you need. Steps are optimizer steps (after gradient accumulation).
 */
export abstract class Callback<C extends CallbackConfig = CallbackConfig> extends Component<C> {
  static override readonly kind: string = 'callback';
  static override readonly configType: ConfigClass = CallbackConfig;

  /** Once, before the first step (after `setup()` and any resume). */
  async onTrainBegin(_control: TrainerControl): Promise<void> {}
  /** Once, after training ended normally or was stopped (not after a failure: see `dispose`). */
  async onTrainEnd(_control: TrainerControl): Promise<void> {}
  /** At the start of every epoch. */
  async onEpochBegin(_control: TrainerControl): Promise<void> {}
  /** At the end of every epoch, before the epoch's checkpoint. */
  async onEpochEnd(_control: TrainerControl): Promise<void> {}
  /** Before the first micro-batch of an optimizer step. */
  async onStepBegin(_control: TrainerControl): Promise<void> {}
  /** After gradients are accumulated, averaged and clipped, before the update. */
  async onBeforeOptimizerStep(_control: TrainerControl): Promise<void> {}
  /** After the optimizer step (globalStep already counts it). */
  async onStepEnd(_control: TrainerControl): Promise<void> {}
  /** With training metrics, every `logInterval` steps, at the end, and after a failure for the steps completed since the last log (`windowSteps` says how many). */
  async onLog(_metrics: Metrics, _control: TrainerControl): Promise<void> {}
  /** With evaluation metrics. */
  async onEvaluate(_metrics: Metrics, _control: TrainerControl): Promise<void> {}
  /** After a checkpoint was written to `path`. */
  async onSave(_path: string, _control: TrainerControl): Promise<void> {}

  /**
   * Releases what the callback holds (open files, timers, signal handlers). Called once when
   * `train()` returns or throws — unlike `onTrainEnd`, also after a failure. Must be idempotent.
   */
  async dispose(): Promise<void> {}
}

/** Hook names of {@link Callback}. */
export type CallbackHook = Exclude<keyof Callback, 'trainer' | 'config' | 'dispose'>;

/** The callback kind: listed in the recipe's `callbacks:` or declared by a trainer's `callbackType`. */
export const CALLBACK_KIND = defineComponentKind({
  name: 'callback',
  label: 'callback',
  baseConfig: CallbackConfig,
  requiredMethods: [],
  recipeSection: 'callbacks',
  sectionIsList: true,
});
