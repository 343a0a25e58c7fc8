import * as tf from '@tensorflow/tfjs';
import { disposeBatch } from '../src/data/lm-batch';
import type { BenchConfig } from './bench-config';
import { spread, type Spread } from './stats';
import type { SyntheticBatches } from './synthetic-batch';

/** A training loop under test: one optimizer step on a fresh batch per call. */
export interface LoopUnderTest {
  /** Label in the report (`floe`, `hand-written`). */
  name: string;
  step(batch: ReturnType<SyntheticBatches['next']>): Promise<void>;
}

/** What one loop did during the timed steps. */
export interface LoopResult {
  name: string;
  /** Wall-clock ms per step (the step includes its share of batched metric reads). */
  msPerStep: Spread;
  /** Tokens per second at the median step time. */
  tokensPerSec: number;
  /** Model GFLOP/s at the median step time. */
  gflops: number;
  /** Net change of `tf.memory().numTensors` over this loop's timed steps (0 = no growth). */
  tensorGrowth: number;
  /** Steps run in total (warm-up + timed). */
  steps: number;
}

/** Result of {@link runInterleaved}. */
export interface InterleavedResult {
  loops: LoopResult[];
  /**
   * Median over timed rounds of (each loop's step time / the first loop's, same round): robust
   * to load that changes between rounds, since both steps of a round ran back to back.
   */
  pairedRatios: number[];
  /** numTensors (both loops' models and state) before and after the timed steps. */
  numTensorsBefore: number;
  numTensorsAfter: number;
  /** Process RSS in MB before and after the timed steps. */
  rssMbBefore: number;
  rssMbAfter: number;
}

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/**
 * Runs the loops step by step in alternation (the order flips every step), so load from other
 * processes on the machine hits all of them alike: warm-up steps first, then timed ones.
 * Per-loop tensor growth is the sum, over that loop's timed steps, of numTensors after minus before.
 */
export async function runInterleaved(options: {
  loops: LoopUnderTest[];
  batches: SyntheticBatches;
  config: BenchConfig;
  flopsPerStep: number;
  warmupSteps: number;
  timedSteps: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<InterleavedResult> {
  const { loops, batches } = options;
  const total = options.warmupSteps + options.timedSteps;
  const times = loops.map(() => [] as number[]);
  const growth = loops.map(() => 0);
  let numTensorsBefore = 0;
  let rssMbBefore = 0;
  for (let s = 0; s < total; s++) {
    const timed = s >= options.warmupSteps;
    if (s === options.warmupSteps) {
      numTensorsBefore = tf.memory().numTensors;
      rssMbBefore = rssMb();
    }
    const order = s % 2 === 0 ? loops.map((_, i) => i) : loops.map((_, i) => loops.length - 1 - i);
    for (const i of order) {
      const tensorsBefore = tf.memory().numTensors;
      const batch = batches.next();
      const start = performance.now();
      try {
        await loops[i].step(batch);
      } finally {
        disposeBatch(batch);
      }
      const ms = performance.now() - start;
      if (timed) {
        times[i].push(ms);
        growth[i] += tf.memory().numTensors - tensorsBefore;
      }
    }
    options.onProgress?.(s + 1, total);
  }
  const tokens = options.config.batchSize * options.config.seqLength;
  return {
    pairedRatios: times.map((t) => spread(t.map((ms, k) => ms / times[0][k])).median),
    loops: loops.map((loop, i) => {
      const ms = spread(times[i]);
      return {
        name: loop.name,
        msPerStep: ms,
        tokensPerSec: (tokens / ms.median) * 1000,
        gflops: options.flopsPerStep / ms.median / 1e6,
        tensorGrowth: growth[i],
        steps: total,
      };
    }),
    numTensorsBefore,
    numTensorsAfter: tf.memory().numTensors,
    rssMbBefore,
    rssMbAfter: rssMb(),
  };
}
