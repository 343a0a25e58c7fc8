import type { Trainer } from './trainer';

/** A run resumed at (or past) its horizon has nothing left to train: it stops before its first epoch. */
export function stopIfNothingToTrain(trainer: Trainer): void {
  if (trainer.state.globalStep >= trainer.trainingHorizon) {
    trainer.control.shouldStop = true;
    trainer.logger.info(`nothing to train: step ${trainer.state.globalStep} already reaches the run's ${trainer.trainingHorizon} steps`);
  }
}

/**
 * The limits that end a run after optimizer step `step`: the horizon ends it without a stop
 * reason (reaching it is finishing, not stopping); `exitIteration` stops it and asks for a save.
 */
export function applyStepLimits(trainer: Trainer, step: number): void {
  const c = trainer.config;
  if (step >= trainer.trainingHorizon) trainer.control.shouldStop = true;
  if (c.exitIteration !== undefined && step >= c.exitIteration) {
    trainer.control.stop(`exitIteration ${c.exitIteration} reached`);
    trainer.control.shouldSave = true;
  }
}
