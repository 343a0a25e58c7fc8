import { promises as fs } from 'fs';
import * as path from 'path';
import { fsyncDir } from './fsync';
import { tempSiblingPath } from './temp-sibling-path';

/**
 * Writes `data` to `file` so that readers see either the old file or the complete new one, never
 * a partial write: the bytes go to a hidden temp sibling, are fsynced, then renamed over `file`.
 */
export async function atomicWriteFile(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempSiblingPath(file);
  const handle = await fs.open(tmp, 'wx');
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  // The rename itself lives in the folder's entry table; flush that too.
  await fsyncDir(path.dirname(path.resolve(file)));
}
