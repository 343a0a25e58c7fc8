import * as fs from 'fs/promises';
import * as path from 'path';
import { processExists } from '../report/run-liveness';

/** Hidden temp folders `writeDirAtomically` leaves when a process dies mid-save: `.step-000040.tmp-<pid>-<hex>`. */
const TEMP_PATTERN = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

/** True unless process `pid` is gone (this process counts as alive: its other worker threads may be saving). */
export function isProcessAlive(pid: number): boolean {
  // Our own process may be writing one right now (another worker thread): never touch those.
  return pid === process.pid || processExists(pid);
}

/**
 * Deletes temp folders under `root` left by saves that never finished because their process
 * died. Folders of a live process (this one included) are left alone. Returns the names removed.
 */
export async function removeStaleTempDirs(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_PATTERN.exec(name);
    if (m === null || isProcessAlive(Number(m[1]))) continue;
    await fs.rm(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
