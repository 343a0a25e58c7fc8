import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError } from '../errors';
import { MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE, OPTIMIZER_STATE_FILE, RECIPE_FILE, TRAINER_STATE_FILE } from './checkpoint-layout';
import { FoundCheckpoint, findCheckpoints } from './find-checkpoints';
import { STEP_DIR_PATTERN } from './incomplete-saves';
import { verifyManifest } from './io/verify-manifest';
import { CheckpointManifest, MANIFEST_FILE_NAME } from './io/write-manifest';

/**
 * Verifies checkpoint `dir` against its manifest, which must list every file a load reads that
 * the folder holds; a damaged one's error also names the newest
 * complete checkpoint before it, so a run folder or autoResume that picked the damaged newest one
 * shows the way back (passing that older folder directly).
 */
export async function verifyCheckpoint(dir: string): Promise<void> {
  try {
    await checkListed(dir, await verifyManifest(dir));
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

/** The files a load reads: a manifest that leaves one out (hand-edited, or another folder's) would let it load unverified. */
const VERIFIED_FILES = [MODEL_WEIGHTS_FILE, OPTIMIZER_STATE_FILE, TRAINER_STATE_FILE, MODEL_CONFIG_FILE, RECIPE_FILE];

/** Throws when a file of {@link VERIFIED_FILES} is in `dir` but not listed in its manifest. */
async function checkListed(dir: string, manifest: CheckpointManifest): Promise<void> {
  const listed = new Set(manifest.files.map((f) => f.path));
  const unlisted: string[] = [];
  for (const name of VERIFIED_FILES) {
    if (listed.has(name)) continue;
    const there = await fs.stat(path.join(dir, name)).then(
      (s) => s.isFile(),
      () => false,
    );
    if (there) unlisted.push(name);
  }
  if (unlisted.length === 0) return;
  const [what, verb] = unlisted.length === 1 ? [unlisted[0], 'is'] : [unlisted.join(', '), 'are'];
  throw new CheckpointError(
    `Checkpoint manifest '${path.join(dir, MANIFEST_FILE_NAME)}' does not list ${what}, which ${verb} in the folder, so ${unlisted.length === 1 ? 'it' : 'they'} cannot be verified. ` +
      'A save lists every file it writes: the manifest was edited by hand or belongs to another folder.',
  );
}
