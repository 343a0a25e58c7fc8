import * as fs from 'fs/promises';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { isPlainObject } from '../config/compose';
import { CheckpointError } from '../errors';
import { RECIPE_FILE } from './checkpoint-layout';
import type { TrainerStateFile } from './trainer-state-file';

/**
 * The folder the relative paths of a checkpoint's recipe.yaml (data files, an `hf` tokenizer,
 * `model.from`, a `modelJson`) resolve against: the folder of the recipe the run was started
 * from, as trainer-state.json records it (`recipeDir`), while that folder still exists; else
 * `fallback` (a resume: the folder of the recipe it runs; a loader: the checkpoint folder). One
 * rule for every reader of a saved recipe: --resume comparing it with the recipe it runs, and
 * floe predict, export and generate building from it.
 */
export async function savedRecipeDir(stateFile: Pick<TrainerStateFile, 'recipeDir'>, fallback: string): Promise<string> {
  const recorded = stateFile.recipeDir;
  if (recorded === undefined) return fallback;
  try {
    return (await fs.stat(recorded)).isDirectory() ? recorded : fallback;
  } catch {
    return fallback;
  }
}

/** A checkpoint's recipe and the folder its relative paths resolve against. */
export interface CheckpointRecipe {
  /** recipe.yaml as saved, parsed. */
  recipe: Record<string, unknown>;
  /** Where its relative paths resolve (see {@link savedRecipeDir}). */
  recipeDir: string;
}

/**
 * Reads checkpoint `dir`'s recipe.yaml for a loader that builds from it (floe predict, export,
 * generate), with the folder its relative paths resolve against; `stateFile` is the checkpoint's
 * checked trainer state.
 * @throws CheckpointError naming the file when it cannot be read or holds no YAML mapping.
 */
export async function readCheckpointRecipe(dir: string, stateFile: Pick<TrainerStateFile, 'recipeDir'>): Promise<CheckpointRecipe> {
  const file = path.join(dir, RECIPE_FILE);
  let recipe: Record<string, unknown>;
  try {
    const parsed: unknown = parseYaml(await fs.readFile(file, 'utf8'));
    if (!isPlainObject(parsed)) throw new Error('not a mapping');
    recipe = parsed;
  } catch (error) {
    throw new CheckpointError(`Cannot read the checkpoint's recipe '${file}': ${(error as Error).message}`, { cause: error });
  }
  return { recipe, recipeDir: await savedRecipeDir(stateFile, dir) };
}
