import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, SourceLocation } from '../errors';
import { isAtOrUnder, joinPath } from './config-path';
import { resolveModuleSpec } from './module-spec';
import { rebaseRecipePaths } from './recipe-paths';
import { SourceMap } from './source-map';
import { parseYamlSource } from './yaml-source';

/** A recipe with its `extends` chain merged in. */
export interface ComposedRecipe {
  /** The merged recipe. */
  value: Record<string, unknown>;
  /** Where each value of the merged recipe was written. */
  sourceMap: SourceMap;
  /** Every file read, the top recipe first (for a recipe given as an object, only those it extends). */
  files: string[];
}

/** Keys whose values are paths relative to the file that declares them. */
const FILE_RELATIVE_KEYS = ['code', 'plugins'];

/** True for a plain `{}` object (not an array, null or class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Reads a recipe file and everything it `extends` (a path or a list, relative to the file),
 * deep-merged: bases in list order, then the file itself; objects merge, lists and scalars are
 * replaced by the child. Cycles are an error naming the chain and the `extends` that closes it.
 */
export function composeRecipeFile(file: string, chain: string[] = []): ComposedRecipe {
  const absolute = path.resolve(file);
  const display = displayPath(absolute);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const near = code === 'ENOENT' ? nearbyRecipe(absolute) : undefined;
    // A relative path resolves against the working folder: name where it looked (runJob from code has no cwd in view).
    const resolved = display === absolute ? '' : ` (resolved to ${absolute})`;
    const reason = code === 'ENOENT' ? `file not found${resolved}${near === undefined ? '' : `. Did you mean ${displayPath(near)}?`}` : code === 'EISDIR' ? 'it is a folder, not a recipe file (give the .yaml file)' : (error as Error).message;
    throw new ConfigError([{ path: '', message: `cannot read recipe ${display}: ${reason}` }]);
  }
  const source = parseRecipeText(text, display);
  // An empty base adds nothing, which is fine; an empty recipe to run is a mistake.
  if (chain.length === 0 && text.replace(/^\s*#.*$/gm, '').trim() === '') {
    throw new ConfigError([{ path: '', message: `recipe ${display} is empty: it needs at least a data section (see recipes/quickstart.yaml)` }]);
  }
  if (!isPlainObject(source.value)) {
    throw new ConfigError([{ path: '', message: 'a recipe must be a mapping of keys to values', location: source.sourceMap.locate('') }]);
  }
  return composeRecipe(source.value, { dir: path.dirname(absolute), sourceMap: source.sourceMap, file: absolute, chain });
}

/** Files that are data, not recipes: a YAML error list for one of them says nothing useful. */
const DATA_EXTENSIONS = ['.jsonl', '.ndjson', '.csv', '.tsv', '.txt', '.safetensors', '.bin'];

/** {@link parseYamlSource}, except that a data file that is not YAML is named as such. */
function parseRecipeText(text: string, display: string): ReturnType<typeof parseYamlSource> {
  try {
    return parseYamlSource(text, display);
  } catch (error) {
    const ext = path.extname(display).toLowerCase();
    if (!(error instanceof ConfigError) || !DATA_EXTENSIONS.includes(ext)) throw error;
    const use = ['.safetensors', '.bin'].includes(ext) ? 'weights are loaded with model.from' : 'data files go in data.sources[].paths';
    throw new ConfigError([{ path: '', message: `${display} is a ${ext} file, not a YAML recipe: give the recipe's .yaml file (${use})` }]);
  }
}

/** Options of {@link composeRecipe}. */
export interface ComposeOptions {
  /** Folder that `extends`, `code` and `plugins` paths are relative to. */
  dir: string;
  /** Where the recipe's values are (empty for a recipe given as an object). */
  sourceMap?: SourceMap;
  /** The recipe's own file, if it has one. */
  file?: string;
  /** Files already being composed (for cycle detection). */
  chain?: string[];
}

/**
 * Merges everything `recipe` extends under it (see {@link composeRecipeFile}); recipes given as
 * objects (`runJob({ extends: 'base.yaml', ... })`) are composed the same way.
 */
export function composeRecipe(recipe: Record<string, unknown>, options: ComposeOptions): ComposedRecipe {
  const { dir, file } = options;
  const ownMap = options.sourceMap ?? new SourceMap();
  const own = { ...recipe };
  absolutizeFileKeys(own, dir);

  const extendsIsList = Array.isArray(own.extends);
  // `extends: ~` extends nothing (null unsets, as for any setting), and so does `extends: []`.
  const bases = own.extends === undefined || own.extends === null ? [] : extendsIsList ? (own.extends as unknown[]) : [own.extends];
  delete own.extends;
  let merged: Record<string, unknown> = {};
  const sourceMap = new SourceMap();
  const seen = file === undefined ? (options.chain ?? []) : [...(options.chain ?? []), file];
  const files = file === undefined ? [] : [file];
  bases.forEach((base, i) => {
    const at = extendsIsList ? joinPath('extends', i) : 'extends';
    if (typeof base !== 'string' || base === '') {
      throw new ConfigError([{ path: at, message: `must be a recipe path (or a list of them), got ${JSON.stringify(base)}`, location: ownMap.locate(at) }]);
    }
    const basePath = path.resolve(dir, base);
    if (seen.includes(basePath)) {
      const cycle = [...seen.slice(seen.indexOf(basePath)), basePath].map(displayPath);
      throw new ConfigError([{ path: at, message: `cycle ${cycle.join(' → ')}`, location: ownMap.locate(at) }]);
    }
    if (!fs.existsSync(basePath)) {
      const near = nearbyRecipe(basePath);
      const hint = near === undefined ? undefined : `Did you mean ${path.relative(dir, near)}?`;
      throw new ConfigError([{ path: at, message: `extended recipe not found: ${base} (resolved to ${basePath})`, location: ownMap.locate(at), ...(hint === undefined ? {} : { hint }) }]);
    }
    if (fs.statSync(basePath).isDirectory()) {
      throw new ConfigError([{ path: at, message: `extended recipe ${base} is a folder (resolved to ${basePath}): name its .yaml file`, location: ownMap.locate(at) }]);
    }
    const composed = composeRecipeFile(basePath, seen);
    // The base's data paths, `from:` and the like are relative to the base's own folder.
    const rebased = rebaseRecipePaths(composed.value, path.dirname(basePath), dir);
    merged = deepMerge(merged, sourceMap, rebased, composed.sourceMap, '');
    files.push(...composed.files);
  });
  keepBaseModules(merged, sourceMap, own, ownMap);
  merged = deepMerge(merged, sourceMap, own, ownMap, '');
  return { value: merged, sourceMap, files };
}

/**
 * `code:` and `plugins:` add to a base's instead of replacing them (as other lists do): the
 * base's types need its modules, so a child naming a plugin of its own lost the base's trainer.
 * The base's modules come first; a module named twice is imported once.
 */
function keepBaseModules(merged: Record<string, unknown>, sourceMap: SourceMap, own: Record<string, unknown>, ownMap: SourceMap): void {
  for (const key of FILE_RELATIVE_KEYS) {
    // `code: ~` adds nothing: the base's modules stay (its types need them).
    if (own[key] === null && merged[key] !== undefined) delete own[key];
    if (merged[key] === undefined || own[key] === undefined) continue;
    const items = (value: unknown, map: SourceMap): Array<{ spec: unknown; location?: SourceLocation }> =>
      Array.isArray(value) ? value.map((spec, i) => ({ spec, location: map.locate(joinPath(key, i)) })) : [{ spec: value, location: map.locate(key) }];
    const all = [...items(merged[key], sourceMap), ...items(own[key], ownMap)];
    const unique = all.filter((item, i) => typeof item.spec !== 'string' || all.findIndex((other) => other.spec === item.spec) === i);
    const ownLocation = ownMap.locate(key);
    const keyLocation = ownMap.keys.get(key);
    sourceMap.clearUnder(key);
    merged[key] = unique.map((item) => item.spec);
    if (ownLocation !== undefined) sourceMap.values.set(key, ownLocation);
    if (keyLocation !== undefined) sourceMap.keys.set(key, keyLocation);
    unique.forEach((item, i) => {
      if (item.location !== undefined) sourceMap.values.set(joinPath(key, i), item.location);
    });
    delete own[key];
  }
}

/**
 * Merges `child` over `base` (a new object), updating `baseMap` so each path points at the
 * source that set it last.
 */
export function deepMerge(
  base: Record<string, unknown>,
  baseMap: SourceMap,
  child: Record<string, unknown>,
  childMap: SourceMap,
  at: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(child)) {
    const p = joinPath(at, key);
    if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = deepMerge(out[key] as Record<string, unknown>, baseMap, value, childMap, p);
      copyEntry(childMap, baseMap, p);
    } else {
      out[key] = value;
      baseMap.clearUnder(p);
      for (const map of ['values', 'keys'] as const) {
        for (const [k, loc] of childMap[map]) {
          if (isAtOrUnder(k, p)) baseMap[map].set(k, loc);
        }
      }
    }
  }
  return out;
}

/**
 * An existing recipe a missing path likely meant: the same name with another YAML extension
 * (`quickstart` → `quickstart.yaml`, `.yml` ↔ `.yaml`), or in `recipes/` under the working folder.
 */
function nearbyRecipe(missing: string): string | undefined {
  const stem = missing.replace(/\.(ya?ml|json)$/i, '');
  const names = ['.yaml', '.yml', '.json'].map((ext) => stem + ext);
  const inRecipes = names.map((n) => path.join(process.cwd(), 'recipes', path.basename(n)));
  return [...names, ...inRecipes].find((candidate) => candidate !== missing && fs.existsSync(candidate) && fs.statSync(candidate).isFile());
}

/** A file as messages show it: relative to the working directory. */
function displayPath(absolute: string): string {
  return path.relative(process.cwd(), absolute) || absolute;
}

function copyEntry(from: SourceMap, to: SourceMap, p: string): void {
  const v = from.values.get(p);
  if (v !== undefined) to.values.set(p, v);
  const k = from.keys.get(p);
  if (k !== undefined) to.keys.set(p, k);
}

function absolutizeFileKeys(recipe: Record<string, unknown>, dir: string): void {
  for (const key of FILE_RELATIVE_KEYS) {
    const value = recipe[key];
    if (typeof value === 'string') recipe[key] = resolveModuleSpec(value, dir);
    else if (Array.isArray(value)) recipe[key] = value.map((v) => (typeof v === 'string' ? resolveModuleSpec(v, dir) : v));
  }
}
