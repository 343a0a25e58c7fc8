import { resolveCount } from '../config/human-number';
import type { Trainer } from './trainer';

/**
 * Trainers whose `exitIteration` the run had already passed when it started (a resume at or past
 * it): it stops nothing, or every resume would train one step and stop again.
 */
const exitIterationPassed = new WeakSet<Trainer>();

/**
 * Checks the step limits once, before the first epoch: a run resumed at (or past) its horizon has
 * nothing left to train and stops; an `exitIteration` the run never reaches (past the horizon) or
 * already passed (at or before the resumed step) is said once, by rank 0, with what the run does
 * instead: it ends at its horizon as usual, or (passed) trains on to it.
 */
export function checkStepLimitsAtStart(trainer: Trainer): void {
  const step = trainer.state.globalStep;
  const horizon = trainer.trainingHorizon;
  if (step >= horizon) {
    trainer.control.shouldStop = true;
    trainer.logger.info(`nothing to train: step ${step} already reaches the run's ${horizon} steps`);
  }
  const warn = (message: string): void => {
    if (trainer.dp.isMain) trainer.logger.warn(message);
  };
  const short = trainItersBeyondEpochs(trainer);
  if (short !== undefined && step < horizon) warn(short);
  const exit = trainer.config.exitIteration;
  if (exit === undefined) return;
  if (exit <= step) {
    exitIterationPassed.add(trainer);
    if (step < horizon) {
      warn(
        `exitIteration ${exit} is not after step ${step}, where this run resumes: it stops nothing, and the run trains on to step ${horizon} (${horizonParts(trainer)}). ` +
          `To stop earlier, set exitIteration past ${step}; leave it out (--set exitIteration=null) to silence this.`,
      );
    }
    return;
  }
  if (exit > horizon) warn(`exitIteration ${exit} is past the end of training (step ${horizon}: ${horizonParts(trainer)}): the run ends at step ${horizon} as usual, without it`);
}

/**
 * The limits that end a run after optimizer step `step`: the horizon ends it without a stop
 * reason (reaching it is finishing, not stopping); `exitIteration` stops it and asks for a save.
 */
export function applyStepLimits(trainer: Trainer, step: number): void {
  const c = trainer.config;
  if (step >= trainer.trainingHorizon) trainer.control.shouldStop = true;
  if (c.exitIteration !== undefined && step >= c.exitIteration && !exitIterationPassed.has(trainer)) {
    trainer.control.stop(`exitIteration ${c.exitIteration} reached`);
    trainer.control.shouldSave = true;
  }
}

/**
 * `trainIters` caps the run's length, which the epochs set: a count above what the epochs give
 * is never reached. Said once at the start, with the epochs it would take (the run would
 * otherwise end early without a word).
 */
function trainItersBeyondEpochs(trainer: Trainer): string | undefined {
  const c = trainer.config;
  if (c.trainIters === undefined) return undefined;
  const perEpoch = Math.ceil(trainer.trainBatchesPerEpoch / (c.gradientAccumulationSteps * trainer.dp.size));
  const full = perEpoch * c.epochs;
  const asked = resolveCount(c.trainIters, full);
  if (!(asked > full) || perEpoch === 0) return undefined;
  const epochs = `${c.epochs} epoch${c.epochs === 1 ? '' : 's'} of ${perEpoch} step${perEpoch === 1 ? '' : 's'}`;
  return `trainIters ${asked} is more than the ${full} step${full === 1 ? '' : 's'} of the run's ${epochs}: training ends at step ${full}. To train ${asked} steps, set epochs: ${Math.ceil(asked / perEpoch)}.`;
}

/** What sets the horizon: `1 epoch of 120 steps`, `2 epochs of 21 steps`, or `trainIters 50`. */
function horizonParts(trainer: Trainer): string {
  const c = trainer.config;
  const perEpoch = Math.ceil(trainer.trainBatchesPerEpoch / (c.gradientAccumulationSteps * trainer.dp.size));
  if (c.trainIters !== undefined && trainer.trainingHorizon < perEpoch * c.epochs) return `trainIters ${String(c.trainIters)}`;
  return `${c.epochs} epoch${c.epochs === 1 ? '' : 's'} of ${perEpoch} step${perEpoch === 1 ? '' : 's'}`;
}
