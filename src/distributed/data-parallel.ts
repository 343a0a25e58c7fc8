import * as tf from '@tensorflow/tfjs';
import type { Callback, Metrics } from '../callbacks/callback';
import type { TrainerControl } from '../callbacks/trainer-control';
import type { DataLoader } from '../data/data-loader';
import type { GradientAccumulator } from '../optim/gradient-accumulator';
import type { Trainer } from '../trainer/trainer';
import type { Communicator } from './communicator';

/** Training-window figures a log line reports. */
export interface WindowFigures {
  /** Mean training loss over the window. */
  loss: number;
  /** Tokens trained on in the window. */
  tokens: number;
  /** Examples trained on in the window. */
  samples: number;
}

/**
 * What the training loop asks of data parallelism, at a handful of points: which batches this rank
 * reads, averaging gradients across ranks, agreeing on flow-control flags, reducing logged and
 * evaluation metrics, and which rank writes. {@link LocalDataParallel} is the one-process answer
 * (every call is the identity); `RankDataParallel` the answer for one rank of a group.
 */
export interface DataParallel {
  /** This rank (0 when alone). */
  readonly rank: number;
  /** Ranks in the job (1 when alone). */
  readonly size: number;
  /** True on the rank that logs, writes the run folder and checkpoints (rank 0). */
  readonly isMain: boolean;
  /** The transport, when there is one. */
  readonly communicator?: Communicator;
  /** Makes the replicas identical as training starts (after any resume): weights, position, per-rank RNG. */
  begin(trainer: Trainer): Promise<void>;
  /** This rank's training batches of `epoch` from `start` (a global batch index) on. */
  epochBatches<B>(trainer: Trainer<B>, epoch: number, start: number): Iterable<B> | AsyncIterable<B>;
  /** True when this rank has run out of batches but the epoch still has an optimizer step it must join. */
  readonly owesOptimizerStep: boolean;
  /** The gradient of this accumulation cycle averaged over every rank's micro-batches, by weight. */
  averageGradients(trainer: Trainer, accumulator: GradientAccumulator, localWeight: number): Promise<Map<string, tf.Tensor>>;
  /** ORs the control flags across ranks, so every rank logs, evaluates and stops at the same step (with the same stop reason). */
  syncControl(control: TrainerControl): Promise<void>;
  /** True if `flag` is true on any rank. */
  anyRank(flag: boolean): Promise<boolean>;
  /** Element-wise sums over ranks. */
  sum(values: readonly number[]): Promise<number[]>;
  /** The window's loss (weighted over all ranks), tokens and samples (of all ranks). */
  reduceWindow(local: WindowFigures): Promise<WindowFigures>;
  /** The eval loader this rank iterates (its shard). */
  evalLoader<B>(trainer: Trainer<B>, loader: DataLoader<B>): DataLoader<B>;
  /** Combines each rank's evaluation metrics into the job's. */
  reduceEvalMetrics(metrics: Metrics): Promise<Metrics>;
  /** Whether `callback` runs on this rank (run-folder writers run on rank 0 only). */
  keepsCallback(callback: Callback): boolean;
}

/** One process, no peers: every call is the identity. */
export class LocalDataParallel implements DataParallel {
  readonly rank = 0;
  readonly size = 1;
  readonly isMain = true;
  readonly owesOptimizerStep = false;

  async begin(): Promise<void> {}

  epochBatches<B>(trainer: Trainer<B>, epoch: number, start: number): Iterable<B> | AsyncIterable<B> {
    return trainer.trainLoader.batches(epoch, start);
  }

  async averageGradients(_trainer: Trainer, accumulator: GradientAccumulator, localWeight: number): Promise<Map<string, tf.Tensor>> {
    return accumulator.average(localWeight);
  }

  async syncControl(): Promise<void> {}

  async anyRank(flag: boolean): Promise<boolean> {
    return flag;
  }

  async sum(values: readonly number[]): Promise<number[]> {
    return [...values];
  }

  async reduceWindow(local: WindowFigures): Promise<WindowFigures> {
    return local;
  }

  evalLoader<B>(_trainer: Trainer<B>, loader: DataLoader<B>): DataLoader<B> {
    return loader;
  }

  async reduceEvalMetrics(metrics: Metrics): Promise<Metrics> {
    return metrics;
  }

  keepsCallback(): boolean {
    return true;
  }
}
