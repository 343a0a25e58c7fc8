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
  try {
    await makeFolder(outputDir);
  } catch (error) {
    throw new ConfigError([{ path: 'outputDir', message: `cannot create the run folder ${outputDir}: ${fsErrorReason(error)}` }], 'Cannot use the run folder');
  }
}

/**
 * Creates each checkpoint engine's folder and checks it is writable, or fails naming every
 * engine's `dir` setting, the folder and why: before training, so a bad folder does not cost
 * the whole run at its first save.
 */
export async function createCheckpointFolders(folders: readonly CheckpointFolder[]): Promise<void> {
  const issues: ConfigIssue[] = [];
  for (const folder of folders) {
    try {
      await makeFolder(folder.dir);
      await fs.access(folder.dir, fs.constants.W_OK);
    } catch (error) {
      const setting = folder.isDefault ? ` (the ${folder.type} engine's default dir)` : '';
      issues.push({ path: folder.path, message: `cannot create the checkpoint folder ${folder.dir}${setting}: ${fsErrorReason(error)}`, hint: 'Set a dir the run can write to.' });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Cannot use the checkpoint folders');
}
