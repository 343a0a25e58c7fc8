/** Why the file system refused a path, in words (the code stays in brackets). */
const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  ENOENT: 'the file system does not let a folder be created there',
};

/** `a part of the path is a file, not a folder (ENOTDIR)` for a Node file-system error; its message otherwise. */
export function fsErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return REASONS[code] === undefined ? String((error as Error | undefined)?.message ?? error) : `${REASONS[code]} (${code})`;
}

/** Why a file could not be read, in words. */
const READ_REASONS: Record<string, string> = {
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** `it is a folder, not a file (EISDIR)` for a Node error reading a file; undefined for other errors. */
export function fsReadReason(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return READ_REASONS[code] === undefined ? undefined : `${READ_REASONS[code]} (${code})`;
}
