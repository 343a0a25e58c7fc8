import * as fs from 'fs/promises';
import type { CheckpointFolder } from '../checkpoint/checkpoint-folders';
import { makeFolder } from '../checkpoint/io/make-folder';
import { ConfigError, ConfigIssue } from '../errors';
import { fsErrorReason } from '../errors/fs-error-reason';

/**
 * Creates the run folder (`outputDir`), or fails with an error naming the setting, the folder and
 * why: before any rank starts, not as an internal error halfway through setup.
 */
export async function createRunFolder(outputDir: string): Promise<void> {
  const existed = await isFolder(outputDir);
  try {
    await makeFolder(outputDir);
    // An existing folder on a read-only disk (or without write permission) fails here, not at the run's first file.
    await fs.access(outputDir, fs.constants.W_OK);
  } catch (error) {
    const message = `cannot ${existed ? 'write to' : 'create'} the run folder ${outputDir}: ${fsErrorReason(error)}`;
    const hint = existed ? 'Set an outputDir the run can write to (--set outputDir=...); a checkpoint in a read-only folder can still be resumed from with --resume.' : undefined;
    throw new ConfigError([{ path: 'outputDir', message, hint }], 'Cannot use the run folder');
  }
}

async function isFolder(dir: string): Promise<boolean> {
  return fs.stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * Creates each checkpoint engine's folder and checks it is writable, or fails naming every
 * engine's `dir` setting, the folder and why: before training, so a bad folder does not cost
 * the whole run at its first save.
 */
export async function createCheckpointFolders(folders: readonly CheckpointFolder[]): Promise<void> {
  const issues: ConfigIssue[] = [];
  for (const folder of folders) {
    const existed = await isFolder(folder.dir);
    try {
      await makeFolder(folder.dir);
      await fs.access(folder.dir, fs.constants.W_OK);
    } catch (error) {
      const setting = folder.isDefault ? ` (the ${folder.type} engine's default dir)` : '';
      issues.push({ path: folder.path, message: `cannot ${existed ? 'write to' : 'create'} the checkpoint folder ${folder.dir}${setting}: ${fsErrorReason(error)}`, hint: 'Set a dir the run can write to.' });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Cannot use the checkpoint folders');
}
