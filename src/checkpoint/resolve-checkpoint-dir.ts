import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError } from '../errors';
import { findCheckpoints } from './find-checkpoints';
import { MANIFEST_FILE_NAME } from './io/write-manifest';

/**
 * The checkpoint folder `target` names: itself when it holds a manifest, else the newest complete
 * `step-N` checkpoint in it or in its `checkpoints/` subfolder (a run folder).
 *
 * @throws CheckpointError naming `target` and what was expected.
 */
export async function resolveCheckpointDir(target: string): Promise<string> {
  const dir = path.resolve(target);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat === undefined) throw new CheckpointError(`No Floe checkpoint at '${target}': the path does not exist (resolved to ${dir}).`);
  if (!stat.isDirectory()) throw new CheckpointError(`No Floe checkpoint at '${target}': it is a file; a checkpoint is a folder (with ${MANIFEST_FILE_NAME}).`);
  try {
    await fs.access(path.join(dir, MANIFEST_FILE_NAME));
    return dir;
  } catch {
    // not a checkpoint itself: look for step-N folders below
  }
  for (const root of [dir, path.join(dir, 'checkpoints')]) {
    const newest = (await findCheckpoints(root))[0];
    if (newest !== undefined) return newest.dir;
  }
  throw new CheckpointError(
    `No Floe checkpoint at '${target}': expected a checkpoint folder (with ${MANIFEST_FILE_NAME}), a folder of step-N checkpoints, or a run folder with checkpoints/.`,
  );
}
