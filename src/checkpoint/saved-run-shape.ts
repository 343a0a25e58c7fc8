import type { Trainer } from '../trainer/trainer';
import { CheckpointError } from '../errors';

/**
 * How the run that wrote a checkpoint was batched and how long it was set to be, saved as
 * `run` in `trainer-state.json`. The rank count is nowhere else: an `mpirun` job's comes from
 * the launcher, not the recipe. Checkpoints written before it was recorded have none (unknown).
 */
export interface SavedRunShape {
  /** Data-parallel ranks training together (1 when alone). */
  worldSize: number;
  /** Examples per micro-batch, on each rank. */
  microBatchSize: number;
  /** Micro-batches per optimizer step, on each rank. */
  gradientAccumulationSteps: number;
  /** Optimizer steps the run was set to take (the horizon its LR schedule decays over). */
  trainingHorizon: number;
}

/** The shape of `trainer`'s run, to save with a checkpoint. */
export function runShapeOf(trainer: Trainer): SavedRunShape {
  return {
    worldSize: trainer.dp.size,
    microBatchSize: trainer.config.microBatchSize,
    gradientAccumulationSteps: trainer.config.gradientAccumulationSteps,
    trainingHorizon: trainer.trainingHorizon,
  };
}

/** Examples per optimizer step: microBatchSize × gradientAccumulationSteps × ranks. */
export function globalBatch(shape: SavedRunShape): number {
  return shape.microBatchSize * shape.gradientAccumulationSteps * shape.worldSize;
}

/**
 * Checks the `run` field read from trainer-state file `file`: undefined when absent (an older
 * checkpoint), else the shape.
 * @throws CheckpointError naming the file and every field that is not a positive integer.
 */
export function checkSavedRunShape(run: unknown, file: string): SavedRunShape | undefined {
  if (run === undefined || run === null) return undefined;
  const fields = ['worldSize', 'microBatchSize', 'gradientAccumulationSteps', 'trainingHorizon'] as const;
  const record = typeof run === 'object' && !Array.isArray(run) ? (run as Record<string, unknown>) : {};
  const bad = fields.filter((key) => !(Number.isSafeInteger(record[key]) && (record[key] as number) >= (key === 'trainingHorizon' ? 0 : 1)));
  if (bad.length > 0) {
    const expected = bad.map((key) => `run.${key} is ${JSON.stringify(record[key])}, expected ${key === 'trainingHorizon' ? 'a non-negative' : 'a positive'} integer`);
    throw new CheckpointError(`Invalid trainer state '${file}': ${expected.join('; ')}.`);
  }
  return { worldSize: record.worldSize as number, microBatchSize: record.microBatchSize as number, gradientAccumulationSteps: record.gradientAccumulationSteps as number, trainingHorizon: record.trainingHorizon as number };
}
