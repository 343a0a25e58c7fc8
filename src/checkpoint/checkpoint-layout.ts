/** Model weights of a checkpoint, by Floe's dotted names (safetensors). */
export const MODEL_WEIGHTS_FILE = 'model.safetensors';
/** Optimizer state by variable name: `<name>/m`, `<name>/v`, `step` (safetensors). */
export const OPTIMIZER_STATE_FILE = 'optimizer.safetensors';
/** Trainer progress: step, epoch, data position, RNG, scheduler position, metrics (JSON). */
export const TRAINER_STATE_FILE = 'trainer-state.json';
/** The resolved recipe the run was started with (YAML). */
export const RECIPE_FILE = 'recipe.yaml';
/** The model's type and architecture, enough to rebuild it without the recipe (JSON). */
export const MODEL_CONFIG_FILE = 'model-config.json';

/** Folder name of the checkpoint written at optimizer step `step`: `step-000040`. */
export function stepDirName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}
