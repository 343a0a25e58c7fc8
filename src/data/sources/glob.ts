import { promises as fs } from 'fs';
import * as path from 'path';
import { DataError } from '../../errors';

const MAGIC = /[*?[{]/;

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

/**
 * Expands file paths and glob patterns (`data/*.txt`, `corpus/**\/*.{md,txt}`) relative to `cwd`
 * into a sorted, de-duplicated list of files. A folder stands for every file under it. `*` and
 * `?` skip dotfiles unless the segment starts with a dot. A pattern matching nothing is an error.
 */
export async function expandPaths(patterns: readonly string[], cwd = process.cwd()): Promise<string[]> {
  if (patterns.length === 0) throw new DataError('No data paths given (expected at least one file, folder or glob pattern).');
  const found = new Set<string>();
  for (const pattern of patterns) {
    const matched = new Set<string>();
    const absolute = path.resolve(cwd, pattern);
    if (!hasGlobMagic(pattern)) {
      const stat = await fs.stat(absolute).catch(() => undefined);
      if (stat === undefined) throw new DataError(`${pattern}: data file not found (resolved to ${absolute}).`);
      if (stat.isDirectory()) await walk(absolute, ['**', '*'], 0, matched);
      else matched.add(absolute);
    } else {
      const segments = absolute.split(path.sep);
      const firstMagic = segments.findIndex((s) => hasGlobMagic(s));
      const base = segments.slice(0, firstMagic).join(path.sep) || path.sep;
      await walk(base, segments.slice(firstMagic), 0, matched);
    }
    if (matched.size === 0) throw new DataError(`${pattern}: pattern matched no files (resolved to ${absolute}; expected at least one file).`);
    for (const file of matched) found.add(file);
  }
  return [...found].sort();
}

async function walk(dir: string, segments: readonly string[], i: number, out: Set<string>): Promise<void> {
  const segment = segments[i];
  const last = i === segments.length - 1;
  if (segment === '**') {
    // `**` matches zero directories (skip it) or descends one level and stays on `**`.
    if (!last) await walk(dir, segments, i + 1, out);
    for (const entry of await listDir(dir)) {
      if (entry.name.startsWith('.')) continue;
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(child, segments, i, out);
      else if (last && entry.isFile()) out.add(child);
    }
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
      await walk(child, segments, i + 1, out);
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
