import { Callback, Metrics } from './callback';
import { TrainerControl } from './trainer-control';

/** Calls a hook on every callback in order, awaiting each (so order is deterministic). */
export class CallbackList {
  constructor(readonly callbacks: Callback[], readonly control: TrainerControl) {}

  async trainBegin(): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin(this.control);
  }
  async trainEnd(): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd(this.control);
  }
  async epochBegin(): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin(this.control);
  }
  async epochEnd(): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd(this.control);
  }
  async stepBegin(): Promise<void> {
    for (const c of this.callbacks) await c.onStepBegin(this.control);
  }
  async beforeOptimizerStep(): Promise<void> {
    for (const c of this.callbacks) await c.onBeforeOptimizerStep(this.control);
  }
  async stepEnd(): Promise<void> {
    for (const c of this.callbacks) await c.onStepEnd(this.control);
  }
  async log(metrics: Metrics): Promise<void> {
    for (const c of this.callbacks) await c.onLog(metrics, this.control);
  }
  async evaluate(metrics: Metrics): Promise<void> {
    for (const c of this.callbacks) await c.onEvaluate(metrics, this.control);
  }
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
