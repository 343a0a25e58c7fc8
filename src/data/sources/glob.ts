import { Dirent, promises as fs } from 'fs';
import * as path from 'path';
import { DataError } from '../../errors';

const MAGIC = /[*?[{]/;

/** A data path (file, folder or glob) that gives no files to read. */
export class DataPathError extends DataError {
  constructor(
    message: string,
    /** The path as the recipe wrote it, to find the setting that holds it. */
    readonly pattern: string,
  ) {
    super(message);
  }
}

/** True if `pattern` uses any glob syntax (`*`, `?`, `[...]`, `{a,b}`). */
export function hasGlobMagic(pattern: string): boolean {
  return MAGIC.test(pattern);
}

/**
 * Regex for one path segment: `*` any run of characters except `/`, `?` one character,
 * `[abc]`/`[!abc]`/`[a-z]` classes, `{a,b}` alternatives.
 */
export function globSegmentToRegExp(segment: string): RegExp {
  let re = '';
  let inBraces = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') {
      inBraces++;
      re += '(?:';
    } else if (c === '}' && inBraces > 0) {
      inBraces--;
      re += ')';
    } else if (c === ',' && inBraces > 0) re += '|';
    else re += c.replace(/[.+^$()|\\\]}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Options of {@link expandPaths}. */
export interface ExpandPathsOptions {
  /** Folder relative patterns are resolved against. Default `process.cwd()`. */
  cwd?: string;
  /**
   * File name endings a folder path stands for (`['.jsonl']`): a folder then gives only its
   * files with these endings, so a README beside the data is not read. Default: every file.
   * Globs match what they say.
   */
  folderExtensions?: readonly string[];
}

/**
 * Expands file paths and glob patterns (`data/*.txt`, `corpus/**\/*.{md,txt}`) relative to `cwd`
 * into a sorted, de-duplicated list of files. A folder stands for every file under it (or those
 * with `folderExtensions`). `*` and `?` skip dotfiles unless the segment starts with a dot.
 * Symbolic links are followed. A path that exists is taken as it is, even if its name holds glob
 * characters (`data[1].txt`). A pattern matching nothing is an error.
 */
export async function expandPaths(patterns: readonly string[], options: string | ExpandPathsOptions = {}): Promise<string[]> {
  const { cwd = process.cwd(), folderExtensions } = typeof options === 'string' ? { cwd: options } : options;
  if (patterns.length === 0) throw new DataError('No data paths given (expected at least one file, folder or glob pattern).');
  const found = new Set<string>();
  for (const pattern of patterns) {
    const matched = new Set<string>();
    const absolute = path.resolve(cwd, pattern);
    const stat = await fs.stat(absolute).catch(() => undefined);
    if (stat !== undefined || !hasGlobMagic(pattern)) {
      if (stat === undefined) {
        // Shells expand ~; a recipe is not read by a shell.
        const tilde = pattern.startsWith('~') ? ' (~ is not expanded here: write the full path, or one relative to the recipe)' : '';
        throw new DataPathError(`${pattern}: data file not found (resolved to ${absolute}); expected a file, a folder or a glob pattern${tilde}`, pattern);
      }
      if (stat.isDirectory()) await walkFolder(pattern, absolute, folderExtensions, matched);
      else matched.add(absolute);
    } else {
      const segments = absolute.split(path.sep);
      const firstMagic = segments.findIndex((s) => hasGlobMagic(s));
      const base = segments.slice(0, firstMagic).join(path.sep) || path.sep;
      await walk(base, segments.slice(firstMagic), 0, matched, new Set());
    }
    if (matched.size === 0) throw new DataPathError(`${pattern}: ${hasGlobMagic(pattern) ? 'pattern matched no files' : 'the folder has no files'} (resolved to ${absolute}; expected at least one file)`, pattern);
    for (const file of matched) found.add(file);
  }
  // A file reached by two paths (symbolic links) is read once, under the first path in order.
  const reals = new Set<string>();
  const files: string[] = [];
  for (const file of [...found].sort()) {
    const real = await fs.realpath(file).catch(() => file);
    if (reals.has(real)) continue;
    reals.add(real);
    files.push(file);
  }
  return files;
}

/** Every file under a folder path, or those with one of `extensions`; none is an error naming what is there. */
async function walkFolder(pattern: string, folder: string, extensions: readonly string[] | undefined, out: Set<string>): Promise<void> {
  const all = new Set<string>();
  await walk(folder, ['**', '*'], 0, all, new Set());
  const wanted = extensions === undefined ? [...all] : [...all].filter((f) => extensions.some((e) => f.toLowerCase().endsWith(e)));
  if (wanted.length === 0 && all.size > 0) {
    const names = [...all].sort().slice(0, 5).map((f) => path.relative(folder, f));
    const more = all.size > names.length ? `, ... (${all.size} files)` : '';
    throw new DataPathError(`${pattern}: the folder has no ${extensions?.join(' or ')} files (it has ${names.join(', ')}${more}); name the files, or use a glob such as ${path.join(pattern, '**', '*')} to read every file`, pattern);
  }
  for (const file of wanted) out.add(file);
}

/** The kind of a directory entry, following a symbolic link to what it points at. */
async function entryKind(dir: string, entry: Dirent): Promise<'file' | 'dir' | undefined> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'dir';
  if (!entry.isSymbolicLink()) return undefined;
  const stat = await fs.stat(path.join(dir, entry.name)).catch(() => undefined);
  return stat?.isFile() ? 'file' : stat?.isDirectory() ? 'dir' : undefined;
}

async function walk(dir: string, segments: readonly string[], i: number, out: Set<string>, seen: Set<string>): Promise<void> {
  const segment = segments[i];
  const last = i === segments.length - 1;
  if (segment === '**') {
    // A folder reached twice through symbolic links (a cycle) is walked once.
    const real = await fs.realpath(dir).catch(() => dir);
    if (seen.has(real)) return;
    seen.add(real);
    // `**` matches zero directories (skip it) or descends one level and stays on `**`.
    if (!last) await walk(dir, segments, i + 1, out, seen);
    for (const entry of await listDir(dir)) {
      if (entry.name.startsWith('.')) continue;
      const child = path.join(dir, entry.name);
      const kind = await entryKind(dir, entry);
      if (kind === 'dir') await walk(child, segments, i, out, seen);
      else if (last && kind === 'file') out.add(child);
    }
    seen.delete(real);
    return;
  }
  const matches: string[] = [];
  if (!hasGlobMagic(segment)) {
    matches.push(segment);
  } else {
    const re = globSegmentToRegExp(segment);
    for (const entry of await listDir(dir)) {
      if (entry.name.startsWith('.') && !segment.startsWith('.')) continue;
      if (re.test(entry.name)) matches.push(entry.name);
    }
  }
  for (const name of matches) {
    const child = path.join(dir, name);
    const stat = await fs.stat(child).catch(() => undefined);
    if (stat === undefined) continue;
    if (last) {
      if (stat.isFile()) out.add(child);
    } else if (stat.isDirectory()) {
      await walk(child, segments, i + 1, out, seen);
    }
  }
}

async function listDir(dir: string) {
  return fs.readdir(dir, { withFileTypes: true }).catch(() => []);
}

/** Size and modification time of each file, for cache fingerprints. */
export async function fileStats(files: readonly string[]): Promise<Array<{ file: string; size: number; mtimeMs: number }>> {
  return Promise.all(
    files.map(async (file) => {
      const s = await fs.stat(file);
      return { file, size: s.size, mtimeMs: s.mtimeMs };
    }),
  );
}
