import * as fs from 'fs/promises';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { CheckpointError } from '../errors';
import { OPTIMIZER_STATE_FILE, TRAINER_STATE_FILE, stepDirName } from './checkpoint-layout';
import { findCheckpoints } from './find-checkpoints';
import { findIncompleteSaves } from './incomplete-saves';
import { TFJS_MODEL_JSON } from './formats/tfjs-file-handler';
import { MANIFEST_FILE_NAME } from './io/write-manifest';
import { isWeightsOnlyExport, weightsOnlyExportError } from './weights-only-export';

/** Options of {@link resolveCheckpointDir}. */
export interface ResolveCheckpointDirOptions {
  /**
   * Checkpoint folders of a run folder to look in first, relative to it (the floe engine's `dir`).
   * After them come the engine dirs the run folder's `recipe.resolved.yaml` names, then `checkpoints`.
   */
  checkpointDirs?: readonly string[];
}

/** The `dir` of every checkpoint engine in a run folder's `recipe.resolved.yaml` (none when unreadable). */
async function recordedCheckpointDirs(runDir: string): Promise<string[]> {
  try {
    const recipe = parseYaml(await fs.readFile(path.join(runDir, 'recipe.resolved.yaml'), 'utf8')) as { checkpoint?: unknown };
    const engines = Array.isArray(recipe?.checkpoint) ? recipe.checkpoint : [];
    return engines.map((e) => (e as { dir?: unknown } | null)?.dir).filter((d): d is string => typeof d === 'string');
  } catch {
    return [];
  }
}

/**
 * Whether a run folder's `recipe.resolved.yaml` lists no `floe` checkpoint engine (`checkpoint: []`,
 * or export engines only): such a run saved nothing to resume or load. False without a readable recipe.
 */
async function recordedNoFloeEngine(runDir: string): Promise<boolean> {
  try {
    const recipe = parseYaml(await fs.readFile(path.join(runDir, 'recipe.resolved.yaml'), 'utf8')) as { checkpoint?: unknown };
    return Array.isArray(recipe?.checkpoint) && !recipe.checkpoint.some((e) => (e as { type?: unknown } | null)?.type === 'floe');
  } catch {
    return false;
  }
}

/** ` Did you mean …/step-000006?` for a step folder named without its zero padding (`step-6`). */
async function stepNameHint(dir: string): Promise<string> {
  const m = /^step-?(\d+)$/i.exec(path.basename(dir));
  if (m === null) return '';
  const padded = path.join(path.dirname(dir), stepDirName(Number(m[1])));
  const exists = await fs.stat(padded).then((s) => s.isDirectory(), () => false);
  return exists && padded !== dir ? ` Did you mean ${padded}?` : '';
}

/**
 * A folder holding a floe checkpoint's files but no manifest is a save that never finished (or a
 * partial copy): its files cannot be verified, so it is refused by name, pointing at a complete one.
 */
async function refuseIncompleteCheckpoint(target: string, dir: string): Promise<void> {
  // Not recipe.yaml: a project folder may hold one.
  const files: string[] = [];
  for (const name of [TRAINER_STATE_FILE, OPTIMIZER_STATE_FILE]) {
    if (await fs.access(path.join(dir, name)).then(() => true, () => false)) files.push(name);
  }
  if (files.length === 0) return;
  const newest = (await findCheckpoints(path.dirname(dir)))[0];
  const instead = newest === undefined ? 'Resume or load a complete checkpoint instead.' : `The newest complete checkpoint beside it is ${newest.dir}.`;
  throw new CheckpointError(
    `'${target}' is an incomplete checkpoint: it holds ${files.join(', ')} but no ${MANIFEST_FILE_NAME}, the file a save writes last, ` +
      `so the save did not finish (its process stopped mid-save) or the folder was copied in part, and its files cannot be verified. ${instead}`,
  );
}

/**
 * The checkpoint folder `target` names: itself when it holds a manifest, else the newest complete
 * floe checkpoint (`step-N`) in it or in one of a run folder's checkpoint folders (see
 * {@link ResolveCheckpointDirOptions.checkpointDirs}). Weights-only exports are refused with an
 * error that says so.
 *
 * @throws CheckpointError naming `target`, where it looked and what was expected.
 */
export async function resolveCheckpointDir(target: string, options: ResolveCheckpointDirOptions = {}): Promise<string> {
  const dir = path.resolve(target);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat === undefined) throw new CheckpointError(`No Floe checkpoint at '${target}': the path does not exist (resolved to ${dir}).${await stepNameHint(dir)}`);
  if (!stat.isDirectory()) throw new CheckpointError(`No Floe checkpoint at '${target}': it is a file; a checkpoint is a folder (with ${MANIFEST_FILE_NAME}).`);
  if (await isWeightsOnlyExport(dir)) throw weightsOnlyExportError(target, dir);
  try {
    await fs.access(path.join(dir, MANIFEST_FILE_NAME));
    return dir;
  } catch {
    // not a checkpoint itself: look for step-N folders below
  }
  await refuseIncompleteCheckpoint(target, dir);
  const subfolders = [...(options.checkpointDirs ?? []), ...(await recordedCheckpointDirs(dir)), 'checkpoints'];
  const roots = [...new Set([dir, ...subfolders.map((d) => path.resolve(dir, d))])];
  let weightsOnly: string | undefined;
  for (const root of roots) {
    const found = [...(await findCheckpoints(root)), ...(await findCheckpoints(root, TFJS_MODEL_JSON))].sort((a, b) => b.step - a.step);
    for (const candidate of found) {
      if (!(await isWeightsOnlyExport(candidate.dir))) return candidate.dir;
      weightsOnly ??= candidate.dir;
    }
  }
  if (weightsOnly !== undefined) throw weightsOnlyExportError(target, weightsOnly);
  const looked = roots.map((r) => path.relative(process.cwd(), r) || '.').join(', ');
  // A run killed during its first save leaves only these: say so rather than 'nothing found'.
  const incomplete = (await Promise.all(roots.map(async (r) => (await findIncompleteSaves(r)).map((s) => path.join(path.relative(process.cwd(), r), s.name))))).flat();
  const only = incomplete.length === 0 ? '' : ` (only incomplete saves, without ${MANIFEST_FILE_NAME}: ${incomplete.join(', ')})`;
  // A run trained with `checkpoint: []` saved nothing: the custom-dir hint would send one looking for it.
  const why = (await recordedNoFloeEngine(dir))
    ? ` Its recipe (${path.join(path.relative(process.cwd(), dir) || '.', 'recipe.resolved.yaml')}) has no floe checkpoint engine, so the run saved none: train with one (checkpoint: [{ type: floe }]) to have a checkpoint.`
    : ' A floe engine with a custom dir keeps its checkpoints there: pass that folder (or a step-N folder in it) directly.';
  throw new CheckpointError(
    `No Floe checkpoint at '${target}': expected a checkpoint folder (with ${MANIFEST_FILE_NAME}), a folder of step-N checkpoints, or a run folder; ` +
      `found no complete step-N checkpoint in ${looked}${only}.${why}`,
  );
}
