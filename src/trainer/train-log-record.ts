import type { Metrics } from '../callbacks/callback';
import type { WindowFigures } from '../distributed/data-parallel';
import type { TrainerState } from './trainer-state';

/** One training log record: where training stands and the window's loss and throughput (of all ranks). */
export function trainLogRecord(state: TrainerState, figures: { lr: number; gradNorm: number; window: WindowFigures; seconds: number }): Metrics {
  const { window, seconds } = figures;
  return {
    step: state.globalStep,
    epoch: state.epochIndex,
    loss: window.loss,
    lr: figures.lr,
    gradNorm: figures.gradNorm,
    tokensPerSec: seconds > 0 ? window.tokens / seconds : 0,
    samplesPerSec: seconds > 0 ? window.samples / seconds : 0,
  };
}
