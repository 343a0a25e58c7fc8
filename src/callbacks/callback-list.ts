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
}
