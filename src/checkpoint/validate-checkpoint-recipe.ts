import * as path from 'path';
import { isPlainObject } from '../config/compose';
import { validateRecipe, type ResolvedRecipe } from '../config/validate-recipe';
import { ConfigError } from '../errors';
import { RECIPE_FILE } from './checkpoint-layout';

/**
 * Runs `build` (validating or building from the recipe a checkpoint was trained with, for export,
 * generate or predict) and reports a recipe problem as the checkpoint's, not as a recipe the user
 * passed: the header names the saved recipe.yaml and the folder its relative paths (an `hf`
 * tokenizer, plugins) resolve against, so a moved tokenizer or a rule added since the run says
 * where to look.
 */
export async function asCheckpointRecipe<T>(dir: string, recipeDir: string, build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const paths = recipeDir === dir ? '' : `; its relative paths resolve against ${recipeDir}, where the run was started`;
    throw new ConfigError(error.issues, `Checkpoint ${dir} cannot be loaded: the recipe it was trained with (${path.join(dir, RECIPE_FILE)}) is not valid here${paths}`);
  }
}

/** Validates the recipe a checkpoint was trained with (see {@link asCheckpointRecipe}). */
export async function validateCheckpointRecipe(dir: string, recipe: Record<string, unknown>, recipeDir: string): Promise<ResolvedRecipe> {
  // The run that wrote it is over: where its engines saved does not matter here.
  const resolved = await asCheckpointRecipe(dir, recipeDir, () => validateRecipe(recipe, { baseDir: recipeDir, checkCheckpointFolders: false }));
  // A saved recipe has every data setting (defaults filled in) and records what data.addBos resolved
  // to; one without it was written when the default was false, before `auto`: it stays false.
  const saved = recipe.data;
  const data = resolved.config.data as unknown as { addBos?: unknown };
  if (isPlainObject(saved) && !('addBos' in saved) && data.addBos === 'auto') {
    data.addBos = false;
    if (isPlainObject(resolved.resolved.data)) resolved.resolved.data.addBos = false;
  }
  return resolved;
}
