import * as fs from 'fs';
import * as path from 'path';
import { DP_PROBE_PLUGIN } from './fixtures/dp-probe-plugin';

/**
 * A tiny SFT run (1-layer GPT, dim 16) on synthetic addition, on wasm, with the `dp-probe`
 * plugin loaded by every rank. `examples` is chosen so batches do not split evenly over ranks.
 */
export function tinyRecipe(outputDir: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'sft',
    code: DP_PROBE_PLUGIN,
    seed: 7,
    backend: 'wasm',
    quiet: true,
    progress: 'none',
    report: false,
    tensorboard: false,
    epochs: 1,
    microBatchSize: 4,
    logInterval: 1,
    evalInterval: 0,
    maxGradNorm: 0.5,
    outputDir,
    tokenizer: { type: 'byte' },
    data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 180, maxDigits: 3 }], maxLength: 16, trainEvalSplit: [0.9, 0.1], cache: false, evalGenerations: 0 },
    model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16 },
    optimizer: { type: 'adamw', lr: 0.01 },
    scheduler: { type: 'constant' },
    checkpoint: [{ type: 'floe', saveEndOfTraining: false }],
    callbacks: [{ type: 'dp-probe' }],
    ...fields,
  };
}

/** Records of metrics.jsonl. */
export function readMetrics(dir: string): Array<Record<string, number>> {
  const file = path.join(dir, 'metrics.jsonl');
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, number>);
}

/** The training losses logged per step. */
export function stepLosses(dir: string): number[] {
  return readMetrics(dir)
    .filter((r) => (r.event as unknown) === 'train')
    .map((r) => r.loss);
}

/** The last evaluation record. */
export function lastEval(dir: string): Record<string, number> {
  const evals = readMetrics(dir).filter((r) => (r.event as unknown) === 'eval');
  return evals[evals.length - 1];
}

/** Weight bytes rank `rank` dumped at the end. */
/** The V8 heap limits rank `rank`'s worker thread ran with (as `dp-probe` saved them). */
export function rankLimits(dir: string, rank: number): { maxYoungGenerationSizeMb?: number } {
  return JSON.parse(fs.readFileSync(path.join(dir, `limits-rank${rank}.json`), 'utf8'));
}

export function rankWeights(dir: string, rank: number): Buffer {
  return fs.readFileSync(path.join(dir, `weights-rank${rank}.bin`));
}

/** `[prompt, produced]` of the held-out completions rank `rank` generated at the last evaluation. */
export function rankSamples(dir: string, rank: number): Array<[string, string]> {
  return JSON.parse(fs.readFileSync(path.join(dir, `samples-rank${rank}.json`), 'utf8')) as Array<[string, string]>;
}
