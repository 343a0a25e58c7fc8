import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../src';
import type { BackendName } from '../src/backend/backend-names';
import { Callback, CallbackConfig } from '../src/callbacks/callback';
import { TrainerConfig } from '../src/trainer/trainer-config';
import { Logger } from '../src/logging/logger';
import { runJob } from '../src/trainer/run-job';
import type { Trainer } from '../src/trainer/trainer';
import type { BenchConfig } from './bench-config';
import { TRAIN_HPARAMS } from './hand-written-loop';
import './bench-tokenizer';

/** True when this Floe's recipes have the top-level field `name` (the benchmark also runs on older trees). */
function knows(name: string): boolean {
  return name in new TrainerConfig();
}

/** The recipe Floe trains the benchmark model with: causal LM, `gpt`, AdamW, constant lr, clip 1. */
export function benchRecipe(config: BenchConfig, backend: BackendName, outputDir: string, seed: number): Record<string, unknown> {
  const h = TRAIN_HPARAMS;
  return {
    // CausalTrainer with a 256-id tokenizer, so the model keeps PERF.md's vocab 256.
    type: 'bench-causal',
    seed,
    backend,
    quiet: true,
    microBatchSize: config.batchSize,
    gradientAccumulationSteps: 1,
    maxGradNorm: h.maxGradNorm,
    logInterval: h.logInterval,
    evalAtEnd: false,
    outputDir,
    tokenizer: { type: 'bench-ascii' },
    // The loader is built but not used: the benchmark hands the trainer its own batches.
    data: { type: 'causal', sources: [{ type: 'synthetic', task: 'addition', count: 64 }], maxLength: config.seqLength, cache: false, evalGenerations: 0 },
    model: {
      type: 'gpt',
      vocabSize: config.vocabSize,
      maxLength: config.seqLength,
      layers: config.layers,
      heads: config.heads,
      dim: config.dim,
      ffnDim: config.ffnDim,
    },
    optimizer: { type: 'adamw', lr: h.lr, betas: [h.beta1, h.beta2], eps: h.eps, weightDecay: h.weightDecay },
    scheduler: { type: 'constant' },
    checkpoint: [],
    callbacks: [],
    // Written once when the run ends, outside the timed steps; not part of a step's cost.
    ...(knows('report') ? { report: false } : {}),
    // One process, so Floe and the hand-written loop share backend, kernels and cores (Floe's
    // data parallelism defaults to worker threads on a multi-core machine).
    ...(knows('distributed') ? { distributed: 'none' } : {}),
  };
}

/** Runs the benchmark from inside training: after every other callback's `onTrainBegin`, then stops the run. */
class BenchDriver extends Callback {
  constructor(
    trainer: Trainer,
    private readonly use: (trainer: Trainer) => Promise<void>,
  ) {
    super(trainer, new CallbackConfig());
  }

  override async onTrainBegin(): Promise<void> {
    await this.use(this.trainer);
    this.trainer.control.shouldStop = true;
  }
}

/**
 * Builds a real Floe `CausalTrainer` through `runJob` (backend start, validation, factories,
 * the default run callbacks: metrics.jsonl, TensorBoard, status.json) and calls `use` with it once
 * `train()` has begun; the benchmark drives `trainer.step(batch)` itself, then the run ends
 * without an epoch. The run folder is a temporary directory.
 */
export async function withFloeTrainer(options: { config: BenchConfig; backend: BackendName; seed: number; use: (trainer: Trainer) => Promise<void> }): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bench-'));
  try {
    await runJob(benchRecipe(options.config, options.backend, dir, options.seed), {
      logger: new Logger({ level: 'error' }),
      onTrainerReady: (trainer) => {
        trainer.callbackList.callbacks.push(new BenchDriver(trainer, options.use));
      },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
