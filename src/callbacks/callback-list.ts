import { FloeError } from '../errors';
import { pluginCodeError, pluginFrameOf } from '../registry/registration-site';
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
    await this.each('onTrainBegin', (c) => c.onTrainBegin(this.control));
  }
  /** Calls every callback's `onTrainEnd`. */
  async trainEnd(): Promise<void> {
    await this.each('onTrainEnd', (c) => c.onTrainEnd(this.control));
  }
  /** Calls every callback's `onEpochBegin`. */
  async epochBegin(): Promise<void> {
    await this.each('onEpochBegin', (c) => c.onEpochBegin(this.control));
  }
  /** Calls every callback's `onEpochEnd`. */
  async epochEnd(): Promise<void> {
    await this.each('onEpochEnd', (c) => c.onEpochEnd(this.control));
  }
  /** Calls every callback's `onStepBegin`. */
  async stepBegin(): Promise<void> {
    await this.each('onStepBegin', (c) => c.onStepBegin(this.control));
  }
  /** Calls every callback's `onBeforeOptimizerStep`. */
  async beforeOptimizerStep(): Promise<void> {
    await this.each('onBeforeOptimizerStep', (c) => c.onBeforeOptimizerStep(this.control));
  }
  /** Calls every callback's `onStepEnd`. */
  async stepEnd(): Promise<void> {
    await this.each('onStepEnd', (c) => c.onStepEnd(this.control));
  }
  /** Calls every callback's `onLog` with the logged training metrics. */
  async log(metrics: Metrics): Promise<void> {
    await this.each('onLog', (c) => c.onLog(metrics, this.control));
  }
  /**
   * Calls every callback's `onLog`, going on past one that throws (`onError` gets its error): for
   * a failed run's last window, which the metrics writers must get even when a plugin fails again.
   */
  async logEach(metrics: Metrics, onError: (error: unknown) => void): Promise<void> {
    await this.each('onLog', (c) => c.onLog(metrics, this.control), onError);
  }
  /** Calls every callback's `onEvaluate` with the evaluation metrics. */
  async evaluate(metrics: Metrics): Promise<void> {
    await this.each('onEvaluate', (c) => c.onEvaluate(metrics, this.control));
  }
  /** Calls every callback's `onSave` with the checkpoint folder just written. */
  async save(path: string): Promise<void> {
    await this.each('onSave', (c) => c.onSave(path, this.control));
  }
  /**
   * Runs one hook on every callback in order. An error a hook throws (other than Floe's own)
   * names the callback's type, class and hook, and the plugin line it came from; it stops the
   * loop, or with `onError`, goes to it and the next callback is called.
   */
  private async each(hook: string, call: (c: Callback) => Promise<void> | void, onError?: (error: unknown) => void): Promise<void> {
    for (const c of this.callbacks) {
      try {
        await call(c);
      } catch (error) {
        const named = error instanceof FloeError ? error : hookError(c, hook, error);
        if (onError === undefined) throw named;
        onError(named);
      }
    }
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

/** An error a callback's hook threw, naming the callback's type, class and hook and the plugin line. */
function hookError(c: Callback, hook: string, error: unknown): Error {
  const type = (c.constructor as { type?: unknown }).type;
  const message = error instanceof Error ? error.message : String(error);
  return pluginCodeError(`callback ${typeof type === 'string' ? `'${type}' ` : ''}(${c.constructor.name}) failed in ${hook}()${pluginFrameOf(error)}: ${message}`, error);
}
