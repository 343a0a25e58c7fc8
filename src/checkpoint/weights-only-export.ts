import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError } from '../errors';
import { MODEL_WEIGHTS_FILE, OPTIMIZER_STATE_FILE, RECIPE_FILE, TRAINER_STATE_FILE } from './checkpoint-layout';
import { TFJS_MODEL_JSON } from './formats/tfjs-file-handler';

async function has(dir: string, name: string): Promise<boolean> {
  return fs.access(path.join(dir, name)).then(
    () => true,
    () => false,
  );
}

/**
 * True when `dir` is a weights-only export (the `safetensors`/`tfjs`/`hf` engines, `floe export`): model
 * weights, but none of the trainer state, optimizer state and recipe a floe checkpoint holds. A
 * floe checkpoint that lost one of those files is not one: its manifest check names the file.
 */
export async function isWeightsOnlyExport(dir: string): Promise<boolean> {
  if (!(await has(dir, MODEL_WEIGHTS_FILE)) && !(await has(dir, TFJS_MODEL_JSON))) return false;
  for (const name of [TRAINER_STATE_FILE, OPTIMIZER_STATE_FILE, RECIPE_FILE]) if (await has(dir, name)) return false;
  return true;
}

/** The error for a weights-only export given where a floe checkpoint is needed (`--resume`, `--checkpoint`). */
export function weightsOnlyExportError(target: string, exportDir: string): CheckpointError {
  const what = path.resolve(target) === exportDir ? 'is a weights-only export' : `holds only weights-only exports (newest: ${exportDir})`;
  return new CheckpointError(
    `'${target}' ${what}, written by a safetensors, tfjs or hf checkpoint engine or floe export: it has the model's weights but no trainer state, ` +
      `optimizer state or recipe, so it cannot be resumed or loaded as a checkpoint. Pass a floe checkpoint instead (the floe engine's ` +
      `folder, by default <run folder>/checkpoints/step-N, or the run folder); a GPT recipe can start training from these weights with model.from.`,
  );
}
