import * as tf from '@tensorflow/tfjs';
import { STEP_KEY } from '../optim/named-state-optimizer';
import type { NamedStateOptimizer } from '../optim/named-state-optimizer';
import { OptimizerStateError } from '../optim/optimizer-state-error';

/** Where the two counters of {@link checkOptimizerStep} come from, for the message. */
export interface OptimizerStepSources {
  /** The trainer state's optimizer step count (`state.globalStep`). */
  globalStep: number;
  /** Path of the `trainer-state.json` it was read from. */
  trainerStateFile: string;
}

/**
 * Checks the optimizer's own update count (`step` of a {@link NamedStateOptimizer}'s state, which
 * drives Adam's bias correction) against the trainer state's `globalStep`. Each optimizer step adds
 * one to `globalStep` and one to `step`, or none when `nonFinite: skip` skips its update; neither
 * is reset apart from the other (a resume restores both, `model.from` starts both at 0). So in one
 * save `step` is never above `globalStep`, while below it is legitimate (skipped updates). A `step`
 * that is not a readable scalar is left to `setState`, which names it.
 * @throws OptimizerStateError naming both values and the trainer state file.
 */
export async function checkOptimizerStep(state: ReadonlyMap<string, tf.Tensor>, sources: OptimizerStepSources): Promise<void> {
  const counter = state.get(STEP_KEY);
  if (counter === undefined || counter.size !== 1) return;
  const [step] = await counter.data();
  if (!(step > sources.globalStep)) return;
  throw new OptimizerStateError(
    `its '${STEP_KEY}' (optimizer updates made) is ${step}, but ${sources.trainerStateFile} is at state.globalStep ${sources.globalStep}. ` +
      `Every optimizer step adds one to both (none to '${STEP_KEY}' when nonFinite: skip skips the update), so a save never has '${STEP_KEY}' above state.globalStep; ` +
      `loaded, the optimizer would go on as if at update ${step} (Adam's bias correction).`,
  );
}
