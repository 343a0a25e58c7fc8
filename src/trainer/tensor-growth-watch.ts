import { registrationSite } from '../registry/registration-site';

/** Logs in a row whose tensor count grew before the growth counts as a leak. */
const GROWING_LOGS = 3;
/** Steps the growth must span, so a buffer filling up at the start (prefetch, caches) is not a leak. */
const MIN_STEPS = 20;

/**
 * Spots tensors leaked every step (a subclass's `step()` or a callback creating tensors it never
 * disposes, math outside `tf.tidy`): the live tensor count, read after each log has freed the
 * pending metrics, grows at every log — by at least one tensor per step — over a stretch of at
 * least {@link MIN_STEPS} steps. Warns once; one-off growth (optimizer slots, a cached copy) does not.
 */
export class TensorGrowthWatch {
  private start?: { step: number; tensors: number };
  private previous = -1;
  private growingLogs = 0;
  private warned = false;

  /** Records the count at a log; returns a warning the first time the growth looks like a leak. */
  check(step: number, numTensors: number): { fromStep: number; toStep: number; grown: number } | undefined {
    if (this.warned) return undefined;
    if (this.start === undefined || numTensors <= this.previous) {
      this.start = { step, tensors: numTensors };
      this.growingLogs = 0;
    } else {
      this.growingLogs++;
    }
    this.previous = numTensors;
    const steps = step - this.start.step;
    const grown = numTensors - this.start.tensors;
    if (this.growingLogs < GROWING_LOGS || steps < MIN_STEPS || grown < steps) return undefined;
    this.warned = true;
    return { fromStep: this.start.step, toStep: step, grown };
  }
}

/**
 * The warning for a leak found by {@link TensorGrowthWatch}, naming the run's plugin classes
 * (the likely culprits: Floe's own components are tested for leaks).
 */
export function tensorGrowthWarning(growth: { fromStep: number; toStep: number; grown: number }, suspects: string[]): string {
  const steps = growth.toStep - growth.fromStep;
  const perStep = Math.round((growth.grown / steps) * 10) / 10;
  const who = suspects.length > 0 ? `: look in ${suspects.join(', ')}` : '';
  return (
    `live tensors grew by ${growth.grown} over steps ${growth.fromStep}–${growth.toStep} (about ${perStep} per step), so something keeps tensors every step${who}. ` +
    'Wrap per-step tensor math in tf.tidy, dispose tensors that cross an await (in a finally), and do not keep per-step tensors in fields; metrics.jsonl records memory.numTensors at each log'
  );
}

/** `XYTrainer (registered at dist/plugin.js:40)`: the trainer, factories and callbacks of a run that came from plugins. */
export function pluginClassesOf(trainer: { factories: Map<string, unknown>; callbackList?: { callbacks: object[] } }): string[] {
  const parts: unknown[] = [trainer, ...trainer.factories.values(), ...(trainer.callbackList?.callbacks ?? [])];
  const classes = new Set(parts.flat().filter((p): p is object => typeof p === 'object' && p !== null).map((p) => p.constructor));
  return [...classes].map((cls) => ({ cls, site: registrationSite(cls) })).filter((c) => c.site !== '').map((c) => `${c.cls.name}${c.site}`);
}
