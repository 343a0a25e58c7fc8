import * as path from 'path';
import { CheckpointError } from '../errors';
import { TRAINER_STATE_FILE } from './checkpoint-layout';
import { readSafetensorsHeader } from './formats/read-safetensors';

/** Metadata key under which a Floe checkpoint's safetensors files record the step they were saved at. */
export const SAVED_STEP_METADATA_KEY = 'step';

/** The `__metadata__` of a safetensors file saved at optimizer step `step` by the `floe` engine. */
export function savedStepMetadata(step: number): Record<string, string> {
  return { format: 'floe', [SAVED_STEP_METADATA_KEY]: String(step) };
}

/**
 * Checks that safetensors file `file` of checkpoint folder `dir` was saved with its trainer state,
 * at `globalStep`: checksums cannot tell a file copied in from another checkpoint folder (with its
 * manifest rebuilt), and loading it would pair the weights or moments of one step with the data
 * position and schedule of another. Files without the metadata (older checkpoints) pass.
 * @throws CheckpointError naming both files, both steps and the way out.
 */
export async function checkSavedStep(dir: string, file: string, globalStep: number): Promise<void> {
  const saved = (await readSafetensorsHeader(path.join(dir, file))).metadata[SAVED_STEP_METADATA_KEY];
  if (saved === undefined || saved === String(globalStep)) return;
  throw new CheckpointError(
    `Checkpoint '${dir}' mixes files of different saves: ${file} was saved at step ${/^\d+$/.test(saved) ? saved : JSON.stringify(saved)} (its metadata '${SAVED_STEP_METADATA_KEY}'), ` +
      `but ${TRAINER_STATE_FILE} at state.globalStep ${globalStep}. Every file of a checkpoint comes from one save (was one copied in from another checkpoint folder?): ` +
      `use an intact checkpoint folder.`,
  );
}
