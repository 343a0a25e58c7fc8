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
  /** More `model:` settings of the recipe (the data-parallel bench's Llama-style configs). */
  model?: Record<string, unknown>;
  /** Warm-up and timed steps of the data-parallel bench, when they differ from its defaults. */
  dataParallelSteps?: { warmup: number; steps: number };
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
 * SmolLM2-135M's shape (Llama style: rmsnorm, rope, SwiGLU, 3 of 9 key/value heads, no biases,
 * vocabulary 49,152; 135 M parameters) fine-tuned with LoRA rank 8 on the attention layers,
 * 2 × 256 tokens a step: a fine-tune users run on a CPU. Data-parallel bench only (the
 * hand-written loop of bench.ts is GPT-2 style). ~2 s a step on one core.
 */
export const LLAMA_LORA_CONFIG: BenchConfig = {
  name: 'llama135m-lora',
  vocabSize: 49152,
  seqLength: 256,
  batchSize: 2,
  dim: 576,
  heads: 9,
  layers: 30,
  ffnDim: 1536,
  warmupSteps: 3,
  timedSteps: 12,
  model: {
    vocabSize: 49152,
    kvHeads: 3,
    norm: 'rmsnorm',
    position: 'rope',
    activation: 'swiglu',
    bias: false,
    lora: { rank: 8, targets: ['*.attn.qkv', '*.attn.out'] },
  },
  dataParallelSteps: { warmup: 3, steps: 12 },
};

/** What the data-parallel bench can train (`--config`). */
export const DATA_PARALLEL_CONFIGS: readonly BenchConfig[] = [...BENCH_CONFIGS, LLAMA_LORA_CONFIG];

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
