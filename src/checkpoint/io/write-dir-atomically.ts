import { promises as fs } from 'fs';
import * as path from 'path';
import { CheckpointError } from '../../errors';
import { fsyncDir, fsyncTree } from './fsync';
import { makeFolder } from './make-folder';
import { tempSiblingPath } from './temp-sibling-path';

/** Options of {@link writeDirAtomically}. */
export interface WriteDirAtomicallyOptions {
  /**
   * Replace an existing `finalDir` (default false: an existing folder is an error). The old folder
   * is moved aside first and deleted only once the new one is in place.
   */
  overwrite?: boolean;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Builds a folder atomically: `write` fills a hidden temp sibling of `finalDir`; every file is then
 * fsynced and the folder renamed into place. If `write` throws (or the process dies), `finalDir`
 * is never left half written — it either does not exist or holds the previous complete content.
 *
 * @returns whatever `write` returned.
 */
export async function writeDirAtomically<T>(
  finalDir: string,
  write: (tmpDir: string) => Promise<T>,
  options: WriteDirAtomicallyOptions = {},
): Promise<T> {
  const target = path.resolve(finalDir);
  const parent = path.dirname(target);
  if (options.overwrite !== true && (await exists(target))) {
    throw new CheckpointError(`Cannot write '${finalDir}': it already exists (pass overwrite to replace it).`);
  }
  await makeFolder(parent);
  const tmp = tempSiblingPath(target);
  await fs.mkdir(tmp);
  let result: T;
  try {
    result = await write(tmp);
    await fsyncTree(tmp);
    await moveIntoPlace(tmp, target, options.overwrite === true);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await fsyncDir(parent);
  return result;
}

async function moveIntoPlace(tmp: string, target: string, overwrite: boolean): Promise<void> {
  if (!overwrite || !(await exists(target))) {
    await fs.rename(tmp, target);
    return;
  }
  // rename() cannot replace a non-empty folder, so swap: old aside, new in, old deleted.
  const aside = tempSiblingPath(target);
  await fs.rename(target, aside);
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rename(aside, target);
    throw err;
  }
  await fs.rm(aside, { recursive: true, force: true });
}
