import type { NonFiniteGuard } from '../callbacks/non-finite-guard';
import { batchStats } from './batch-stats';
import { checkedBatchWeight, checkedLossGradients } from './checked-loss';
import type { GradientCycle } from './gradient-cycle';
import type { CompletedStepFigures } from './log-window-steps';
import type { MetricTracker } from './metric-tracker';
import type { TrainLog } from './train-log';
import type { Trainer } from './trainer';

/** The trainer's parts that a training micro-batch feeds and dropping a cycle rewinds. */
export interface CycleParts {
  /** The accumulation cycle its weighted gradients join. */
  cycle: GradientCycle;
  /** The pending metrics its loss joins. */
  metrics: MetricTracker;
  /** Watches its loss under `nonFinite: stop`; forgets it when its cycle is dropped. */
  nonFiniteGuard: NonFiniteGuard;
  /** The log window its tokens and samples count in. */
  trainLog: TrainLog;
}

/**
 * Adds one training micro-batch to the current accumulation cycle: its loss gradients, weighted by
 * the trainer's `batchWeight()`, to `parts.cycle`; its loss to the pending metrics; its samples and
 * tokens to the state and the log window; and moves the epoch's data position past it.
 */
export function accumulateMicroBatch<B>(trainer: Trainer<B>, batch: B, parts: CycleParts): void {
  const t = trainer;
  const weight = checkedBatchWeight(t, batch);
  // checkedLoss: a wrong value from a subclass's loss() names the class, not tfjs internals.
  const where = (): string => `training batch ${t.state.batchInEpoch + 1} of epoch ${t.state.epochIndex + 1} (step ${t.state.globalStep + 1})`;
  const { loss, grads } = checkedLossGradients(t, batch, where, weight);
  parts.cycle.add(grads, weight);
  parts.metrics.add('loss', loss, weight);
  if (t.config.nonFinite === 'stop') parts.nonFiniteGuard.watch('loss', loss, t.state.globalStep + 1);
  const stats = batchStats(batch);
  t.state.samplesSeen += stats.samples;
  t.state.tokensSeen += stats.tokens;
  parts.trainLog.addMicroBatch(stats.tokens, stats.samples);
  // The position in the epoch's global order: data parallel, every rank took one batch.
  t.state.batchInEpoch = Math.min(t.state.batchInEpoch + t.dp.size, t.trainLoader.length);
}

/**
 * A stop mid accumulation cycle drops that cycle: the log record covers completed steps only (none
 * without one), the saved data position and RNG are the cycle's start, where a resume continues,
 * and a non-finite loss of the dropped micro-batches, which no update used, stops nothing. Returns
 * the figures of the log window's completed steps; undefined when no cycle was open.
 */
export function dropUnfinishedCycle(trainer: Trainer, parts: CycleParts): CompletedStepFigures | undefined {
  if (parts.cycle.microBatches === 0) return undefined;
  const completed = parts.trainLog.dropUnfinished();
  parts.cycle.rewind(trainer.state, trainer.rng);
  parts.nonFiniteGuard.dropStep(trainer.state.globalStep + 1);
  return completed;
}
