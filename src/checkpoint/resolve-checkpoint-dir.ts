import * as fs from 'fs/promises';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { CheckpointError } from '../errors';
import { findCheckpoints } from './find-checkpoints';
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
  if (stat === undefined) throw new CheckpointError(`No Floe checkpoint at '${target}': the path does not exist (resolved to ${dir}).`);
  if (!stat.isDirectory()) throw new CheckpointError(`No Floe checkpoint at '${target}': it is a file; a checkpoint is a folder (with ${MANIFEST_FILE_NAME}).`);
  if (await isWeightsOnlyExport(dir)) throw weightsOnlyExportError(target, dir);
  try {
    await fs.access(path.join(dir, MANIFEST_FILE_NAME));
    return dir;
  } catch {
    // not a checkpoint itself: look for step-N folders below
  }
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
  throw new CheckpointError(
    `No Floe checkpoint at '${target}': expected a checkpoint folder (with ${MANIFEST_FILE_NAME}), a folder of step-N checkpoints, or a run folder; ` +
      `found no complete step-N checkpoint in ${looked}. A floe engine with a custom dir keeps its checkpoints there: pass that folder (or a step-N folder in it) directly.`,
  );
}
