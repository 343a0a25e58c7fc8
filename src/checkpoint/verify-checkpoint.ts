import * as path from 'path';
import { CheckpointError } from '../errors';
import { FoundCheckpoint, findCheckpoints } from './find-checkpoints';
import { STEP_DIR_PATTERN } from './incomplete-saves';
import { verifyManifest } from './io/verify-manifest';

/**
 * Verifies checkpoint `dir` against its manifest; a damaged one's error also names the newest
 * complete checkpoint before it, so a run folder or autoResume that picked the damaged newest one
 * shows the way back (passing that older folder directly).
 */
export async function verifyCheckpoint(dir: string): Promise<void> {
  try {
    await verifyManifest(dir);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    const older = await newestCheckpointBefore(dir);
    if (older === undefined) throw error;
    throw new CheckpointError(`${error.message}\nThe newest checkpoint before it is ${older.dir}: pass that folder to use it instead, or move the damaged one out of the folder.`, { cause: error });
  }
}

/** The newest complete checkpoint beside `dir` (a `step-N` folder) written before it, if any. */
export async function newestCheckpointBefore(dir: string): Promise<FoundCheckpoint | undefined> {
  const own = STEP_DIR_PATTERN.exec(path.basename(dir));
  if (own === null) return undefined;
  return (await findCheckpoints(path.dirname(dir))).find((c) => c.step < Number(own[1]));
}
