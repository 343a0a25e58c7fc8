import { RngState } from '../random';

/**
 * Where training stands; saved in checkpoints so a resumed run continues exactly where the
 * saved one was (same data order position, same RNG stream, same LR step).
 */
export interface TrainerState {
  /** Optimizer steps taken. */
  globalStep: number;
  /** Current epoch (0-based). */
  epochIndex: number;
  /** Micro-batches of the current epoch already consumed. */
  batchInEpoch: number;
  /** The trainer's RNG (dropout seeds and other per-step randomness). */
  rng: RngState;
  /** Best value of the tracked metric so far, if any. */
  bestMetric?: number;
  /** Examples seen, for throughput and progress. */
  samplesSeen: number;
  /** Tokens seen (LM trainers), for throughput and progress. */
  tokensSeen: number;
}
