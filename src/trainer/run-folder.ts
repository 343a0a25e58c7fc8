import * as fs from 'fs/promises';
import { ConfigError } from '../errors';

/** Why the file system refused a folder, in words (the code stays in brackets). */
const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

/**
 * Creates the run folder (`outputDir`), or fails with an error naming the setting, the folder and
 * why: before any rank starts, not as an internal error halfway through setup.
 */
export async function createRunFolder(outputDir: string): Promise<void> {
  try {
    await fs.mkdir(outputDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = REASONS[code] === undefined ? (error as Error).message : `${REASONS[code]} (${code})`;
    throw new ConfigError([{ path: 'outputDir', message: `cannot create the run folder ${outputDir}: ${reason}` }], 'Cannot use the run folder');
  }
}
