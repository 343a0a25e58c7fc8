import * as fs from 'fs';
import * as path from 'path';
import { TrainingError } from '../errors';

/**
 * `dir` and, when it is compiled (`<root>/dist/src/...`), the TypeScript folder its source maps
 * name (`<root>/src/...`): with source maps on (bin/floe.js, `node --enable-source-maps`) stack
 * frames of Floe's own code name the .ts files, which must not pass for a plugin's.
 */
function withMappedSources(dir: string): string[] {
  const dist = path.resolve(__dirname, '..', '..');
  if (path.basename(dist) !== 'dist') return [dir + path.sep];
  return [dir + path.sep, path.join(path.dirname(dist), path.relative(dist, dir)) + path.sep];
}

/** Floe's own sources: a class registered from in here is a built-in. */
const FLOE_SOURCES = withMappedSources(path.resolve(__dirname, '..'));
/** The registration machinery itself (this folder), skipped to find the caller. */
const REGISTRY_SOURCES = withMappedSources(__dirname);
const isUnder = (file: string, folders: readonly string[]): boolean => folders.some((f) => file.startsWith(f));

/** Frames of the helpers TypeScript and Babel emit for decorators (`__decorate`, `__esDecorate`, `_applyDecs`). */
const DECORATOR_HELPER = /\bat (?:Object\.)?(?:__decorate|__esDecorate|__runInitializers|_applyDecs\w*|_decorate)\b/;

const sites = new WeakMap<Function, string>();

/**
 * Remembers where `cls` was registered from: the first stack frame outside the registry and
 * node_modules (decorator helpers), when that is not one of Floe's own files (a plugin's
 * `file:line`). Built-in classes have none.
 */
export function recordRegistrationSite(cls: Function): void {
  const site = callerSite();
  if (site !== undefined) sites.set(cls, site);
}

/**
 * `plugins/a.js:4`: the line that called `register` — the first stack frame outside the registry,
 * decorator helpers and node_modules — or undefined when that is one of Floe's own files.
 */
export function callerSite(): string | undefined {
  // Enough frames to get past decorator helpers whatever the process's limit.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  let stack: string;
  try {
    stack = new Error().stack ?? '';
  } finally {
    Error.stackTraceLimit = limit;
  }
  const frames = stack.split('\n').slice(1);
  for (const frame of frames) {
    // `at fn (/abs/file.js:4:7)` or `at /abs/file.js:4:7`; node:internal and other non-files are skipped.
    const match = /(?:\(|at )(?:file:\/\/)?(\/[^()]*?):(\d+):\d+\)?$/.exec(frame.trim());
    if (match === null) continue;
    const file = match[1];
    if (isUnder(file, REGISTRY_SOURCES)) continue;
    // tsc's decorator helper sits at the top of every compiled file: its line says nothing.
    if (DECORATOR_HELPER.test(frame)) continue;
    // Checked before node_modules: an installed Floe lives there too.
    if (isUnder(file, FLOE_SOURCES)) return undefined;
    if (file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    return `${path.relative(process.cwd(), file) || file}:${match[2]}`;
  }
  return undefined;
}

/** ` (registered at plugins/a.js:4)`, or empty for a class registered by Floe itself. */
export function registrationSite(cls: Function): string {
  const site = sites.get(cls);
  return site === undefined ? '' : ` (registered at ${site})`;
}

const existing = new Map<string, boolean>();
/** Whether `file` is on disk (asked once per file: stacks repeat the same few files). */
function existsCached(file: string): boolean {
  let found = existing.get(file);
  if (found === undefined) {
    found = fs.existsSync(file);
    existing.set(file, found);
  }
  return found;
}

/**
 * ` at plugin.js:12:5`: where `error` was thrown from outside Floe and node_modules (the plugin
 * line to look at), or empty when its stack has no such frame.
 */
export function pluginFrameOf(error: unknown): string {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  for (const frame of stack.split('\n').slice(1)) {
    const match = /(?:\(|at )(?:file:\/\/)?(\/[^()]*?):(\d+):(\d+)\)?$/.exec(frame.trim());
    if (match === null) continue;
    const file = match[1];
    if (isUnder(file, FLOE_SOURCES) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    // With source maps on, a package's frames name the sources its maps list, outside node_modules
    // and not on disk (tfjs: `<cwd>/tfjs-core/src/ops/mat_mul.ts`): not a line to look at.
    if (!existsCached(file)) continue;
    return ` at ${path.relative(process.cwd(), file) || file}:${match[2]}:${match[3]}`;
  }
  return '';
}

/**
 * The error for `cause`, thrown by plugin code Floe called: a {@link TrainingError} with
 * `message` whose stack ends with the cause's, so `--verbose` shows where it was thrown.
 */
export function pluginCodeError(message: string, cause: unknown): TrainingError {
  const error = new TrainingError(message, { cause });
  if (cause instanceof Error && cause.stack !== undefined) error.stack = `${error.stack ?? ''}\nCaused by: ${cause.stack}`;
  return error;
}
