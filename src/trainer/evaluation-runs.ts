import type { Metrics } from '../callbacks/callback';
import { resolveCount } from '../config/human-number';
import { checkedMetrics } from './checked-loss';
import type { Trainer } from './trainer';

/**
 * The evaluations of a training run: when one is due (every `evalInterval` steps, when a callback
 * asks, at the end) and what one does: `evaluate()` with `isTraining` off, its metrics checked and
 * reduced over ranks (data parallel), kept in `lastMetrics` and reported to every callback.
 */
export class EvaluationRuns {
  /** Optimizer step of the last evaluation (or of the restored checkpoint); -1 before either. */
  private lastStep = -1;

  constructor(private readonly trainer: Trainer) {}

  /** Due after optimizer step `step`: with an eval split, every `evalInterval` steps or when a callback asked. */
  dueAfterStep(step: number): boolean {
    const t = this.trainer;
    const every = resolveCount(t.config.evalInterval, t.trainingHorizon);
    return t.evalLoader !== undefined && ((every > 0 && step % every === 0) || t.control.shouldEvaluate);
  }

  /** Due at the end of the run: with `evalAtEnd` and an eval split, unless the current step was evaluated already. */
  get dueAtEnd(): boolean {
    const t = this.trainer;
    return t.config.evalAtEnd && t.evalLoader !== undefined && this.lastStep !== t.state.globalStep;
  }

  /** A checkpoint's state was restored at `step`: the end of a run that trains no further step does not evaluate it again. */
  restored(step: number): void {
    this.lastStep = step;
  }

  /** Runs the trainer's `evaluate()` and reports its metrics. */
  async run(): Promise<Metrics> {
    const t = this.trainer;
    t.isTraining = false;
    let metrics: Metrics;
    try {
      metrics = await t.dp.reduceEvalMetrics(checkedMetrics(t, await t.evaluate()));
    } finally {
      t.isTraining = true;
    }
    this.lastStep = t.state.globalStep;
    Object.assign(t.lastMetrics, metrics);
    await t.callbackList.evaluate(metrics);
    return metrics;
  }
}
