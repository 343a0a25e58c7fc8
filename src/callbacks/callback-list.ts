import { Callback, Metrics } from './callback';
import { TrainerControl } from './trainer-control';

/** Calls a hook on every callback in order, awaiting each (so order is deterministic). */
export class CallbackList {
  constructor(
    /** The callbacks, called in this order. */
    readonly callbacks: Callback[],
    /** The control object every hook receives. */
    readonly control: TrainerControl,
  ) {}

  /** Calls every callback's `onTrainBegin`. */
  async trainBegin(): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin(this.control);
  }
  /** Calls every callback's `onTrainEnd`. */
  async trainEnd(): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd(this.control);
  }
  /** Calls every callback's `onEpochBegin`. */
  async epochBegin(): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin(this.control);
  }
  /** Calls every callback's `onEpochEnd`. */
  async epochEnd(): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd(this.control);
  }
  /** Calls every callback's `onStepBegin`. */
  async stepBegin(): Promise<void> {
    for (const c of this.callbacks) await c.onStepBegin(this.control);
  }
  /** Calls every callback's `onBeforeOptimizerStep`. */
  async beforeOptimizerStep(): Promise<void> {
    for (const c of this.callbacks) await c.onBeforeOptimizerStep(this.control);
  }
  /** Calls every callback's `onStepEnd`. */
  async stepEnd(): Promise<void> {
    for (const c of this.callbacks) await c.onStepEnd(this.control);
  }
  /** Calls every callback's `onLog` with the logged training metrics. */
  async log(metrics: Metrics): Promise<void> {
    for (const c of this.callbacks) await c.onLog(metrics, this.control);
  }
  /** Calls every callback's `onEvaluate` with the evaluation metrics. */
  async evaluate(metrics: Metrics): Promise<void> {
    for (const c of this.callbacks) await c.onEvaluate(metrics, this.control);
  }
  /** Calls every callback's `onSave` with the checkpoint folder just written. */
  async save(path: string): Promise<void> {
    for (const c of this.callbacks) await c.onSave(path, this.control);
  }
  /** Disposes every callback, even if some throw; rethrows the first error afterwards. */
  async dispose(): Promise<void> {
    let first: unknown;
    for (const c of this.callbacks) {
      try {
        await c.dispose();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== undefined) throw first;
  }
  /** The first callback of class `cls`, if any (e.g. to point the progress bar at a stream in a test). */
  find<T extends Callback>(cls: abstract new (...args: never[]) => T): T | undefined {
    return this.callbacks.find((c): c is T => c instanceof cls);
  }
}
