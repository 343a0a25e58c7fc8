import { Stats, promises as fs } from 'fs';
import * as path from 'path';

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * `mkdir -p` that fails instead of hanging: Node's `mkdir(dir, { recursive: true })` never returns
 * for a path below a folder that refuses new entries with ENOENT (such as `/proc`). Creates the
 * missing folders one by one; throws the file system's error (`ENOTDIR` when a part of the path
 * is a file, `EEXIST` when `dir` itself is one).
 */
export async function makeFolder(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  for (let p = target; ; p = path.dirname(p)) {
    const stat = await statOrUndefined(p);
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw p === target ? fsError('EEXIST', `file already exists, mkdir '${target}'`) : fsError('ENOTDIR', `not a directory, mkdir '${target}'`);
      break;
    }
    missing.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of missing) {
    try {
      await fs.mkdir(p);
    } catch (error) {
      // Another process (a data-parallel rank) may have made it meanwhile.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await statOrUndefined(p))?.isDirectory() === true) continue;
      throw error;
    }
  }
}
