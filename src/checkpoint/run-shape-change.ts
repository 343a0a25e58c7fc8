import type { Trainer } from '../trainer/trainer';
import type { TrainerState } from '../trainer/trainer-state';
import { epochsEndStep } from '../trainer/training-horizon';
import { SavedRunShape, globalBatch, runShapeOf } from './saved-run-shape';

/** What a resumed run should be told about its batching, and how loudly. */
export interface RunShapeNote {
  /** `warn` when the global batch changes; `info` when only the split between ranks and accumulation does. */
  level: 'warn' | 'info';
  /** The sentence(s) to log. */
  message: string;
}

function ranks(n: number): string {
  return `${n} data-parallel rank${n === 1 ? '' : 's'}`;
}

function product(s: SavedRunShape): string {
  return `${s.microBatchSize} × ${s.gradientAccumulationSteps} × ${s.worldSize} = ${globalBatch(s)}`;
}

function lr(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

/**
 * Compares the batching of the checkpoint's run (`saved`, from its trainer state) with `trainer`'s,
 * at the checkpoint's position `state`. The global batch is microBatchSize × gradientAccumulationSteps
 * × ranks; when it changes, so does each step's update and, for a run bounded by epochs, the number
 * of steps and with it the LR schedule. Undefined when nothing changed.
 */
export function runShapeNote(saved: SavedRunShape, trainer: Trainer, state: TrainerState, savedLr: number | undefined): RunShapeNote | undefined {
  const now = runShapeOf(trainer);
  const rankChange = now.worldSize === saved.worldSize ? undefined : `resuming on ${ranks(now.worldSize)}, but the checkpoint's run had ${saved.worldSize}`;
  const formula = 'microBatchSize × gradientAccumulationSteps × ranks';
  if (globalBatch(now) === globalBatch(saved)) {
    if (rankChange === undefined) return undefined;
    return { level: 'info', message: `${rankChange}; the global batch stays ${globalBatch(now)} (${formula}: ${product(now)}).` };
  }
  const parts = [`${rankChange ?? 'resuming with another global batch'}: the global batch (${formula}) changes from ${product(saved)} to ${product(now)} examples per optimizer step.`];
  const c = trainer.config;
  // A length fixed by a trainIters count is the recipe's choice, not a consequence of the batch.
  const pinned = typeof c.trainIters === 'number' && now.trainingHorizon === c.trainIters;
  if (now.trainingHorizon !== saved.trainingHorizon && !pinned) {
    const step = state.globalStep;
    const was = savedLr === undefined ? 'lr ' : `lr ${lr(savedLr)} at step ${step}, `;
    parts.push(`The run's length changes with it: ${now.trainingHorizon} optimizer steps instead of ${saved.trainingHorizon} (its epochs count global batches), and the LR schedule follows the new length (${was}${lr(trainer.scheduler(step))} at step ${step + 1}).`);
    const end = epochsEndStep(
      { batchesPerEpoch: trainer.trainBatchesPerEpoch, gradientAccumulationSteps: c.gradientAccumulationSteps, ranks: now.worldSize, epochs: c.epochs },
      state,
    );
    const epochs = `${c.epochs} epoch${c.epochs === 1 ? '' : 's'}`;
    if (end < now.trainingHorizon) parts.push(`The run's ${epochs} ${c.epochs === 1 ? 'runs' : 'run'} out at step ${end}, before the schedule ends.`);
    if (end > now.trainingHorizon) parts.push(`The run stops at step ${now.trainingHorizon}, before its ${epochs} ${c.epochs === 1 ? 'is' : 'are'} done (at step ${end}).`);
  }
  const perRank = c.microBatchSize * now.worldSize;
  if (globalBatch(saved) % perRank === 0) parts.push(`To keep the global batch of ${globalBatch(saved)}, set gradientAccumulationSteps: ${globalBatch(saved) / perRank}.`);
  else parts.push(`No gradientAccumulationSteps gives the global batch of ${globalBatch(saved)} with microBatchSize ${c.microBatchSize} on ${ranks(now.worldSize)}.`);
  return { level: 'warn', message: parts.join(' ') };
}
