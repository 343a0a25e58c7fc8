import type { Metrics } from '../callbacks/callback';
import type { WindowFigures } from '../distributed/data-parallel';
import type { TrainerState } from './trainer-state';

/**
 * One training log record: where training stands, the window's loss and throughput (of all ranks)
 * and how many steps it covers. `tokensPerSec` only when the batches counted tokens: tabular
 * batches have none, and a 0 there read as a stalled run in metrics.jsonl.
 */
export function trainLogRecord(state: TrainerState, figures: { lr: number; gradNorm: number; window: WindowFigures; seconds: number; windowSteps: number }): Metrics {
  const { window, seconds } = figures;
  return {
    step: state.globalStep,
    epoch: state.epochIndex,
    loss: window.loss,
    lr: figures.lr,
    gradNorm: figures.gradNorm,
    ...(window.tokens > 0 ? { tokensPerSec: seconds > 0 ? window.tokens / seconds : 0 } : {}),
    samplesPerSec: seconds > 0 ? window.samples / seconds : 0,
    windowSteps: figures.windowSteps,
  };
}

/**
 * True for a log record whose window covers fewer than `logInterval` steps: the last window of a
 * run that ended or failed between two log steps, the first one after a resume off the interval,
 * or one a callback asked for early (`control.shouldLog`).
 */
export function isPartialWindow(record: Metrics, logInterval: number): boolean {
  return typeof record.windowSteps === 'number' && record.windowSteps < logInterval;
}
