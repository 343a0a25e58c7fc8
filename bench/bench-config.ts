/** One model/batch shape the benchmark trains. */
export interface BenchConfig {
  /** Name on the command line (`--config`). */
  name: string;
  vocabSize: number;
  seqLength: number;
  batchSize: number;
  dim: number;
  heads: number;
  layers: number;
  /** MLP hidden width. */
  ffnDim: number;
  /** Default warm-up and timed steps per loop (V8 runs wasm slowly for its first seconds). */
  warmupSteps: number;
  timedSteps: number;
}

/** The PERF.md reference GPT: vocab 256, seq 128, batch 16, d 128, 4 heads, 2 layers, MLP 4×. */
export const REFERENCE_CONFIG: BenchConfig = {
  name: 'ref',
  vocabSize: 256,
  seqLength: 128,
  batchSize: 16,
  dim: 128,
  heads: 4,
  layers: 2,
  ffnDim: 512,
  warmupSteps: 30,
  timedSteps: 50,
};

/** A larger model to show scaling: d 512, 8 heads, 4 layers, seq 256 (batch 8: 2,048 tokens/step as in the reference). */
export const D512_CONFIG: BenchConfig = {
  name: 'd512',
  vocabSize: 256,
  seqLength: 256,
  batchSize: 8,
  dim: 512,
  heads: 8,
  layers: 4,
  ffnDim: 2048,
  warmupSteps: 10,
  timedSteps: 10,
};

export const BENCH_CONFIGS: readonly BenchConfig[] = [REFERENCE_CONFIG, D512_CONFIG];

/**
 * Model FLOPs per trained token: 3× the forward matmul FLOPs (forward, and backward for inputs
 * and weights), counting full (not causally halved) attention, as PERF.md does (2.95 M for the
 * reference model). Elementwise work is not counted.
 */
export function flopsPerToken(c: BenchConfig): number {
  const d = c.dim;
  const perLayer = 2 * d * 3 * d + 2 * d * d + 2 * 2 * d * c.ffnDim + 2 * 2 * c.seqLength * d;
  const head = 2 * d * c.vocabSize;
  return 3 * (c.layers * perLayer + head);
}
