import { parse as parseYaml } from 'yaml';
import { ConfigError, ConfigIssue } from '../errors';
import { allComponentKinds } from '../registry/component-kind';
import { isPlainObject } from './compose';
import { joinPath, splitPath } from './config-path';
import { SourceMap } from './source-map';

/** Options of {@link applyOverrides}. */
export interface ApplyOverridesOptions {
  /** The setting a top-level section's scalar short form stands for (`distributed: threads` → `backend`), if it has one. */
  shortFormKey?: (section: string) => string | undefined;
}

/**
 * The first bracket of `key` that is no whole-number index (`'[x]'` in `a[0][x]`), or an unclosed
 * `'['`, checked per dotted name as {@link splitPath} reads them; undefined when every one is fine.
 */
function badListIndex(key: string): string | undefined {
  for (const segment of key.split('.')) {
    if (!segment.includes('[')) continue;
    const groups = [...segment.matchAll(/\[([^[\]]*)\]/g)];
    const bad = groups.find((m) => !/^\d+$/.test(m[1]));
    if (bad !== undefined) return `'[${bad[1]}]'`;
    if (groups.length < segment.split('[').length - 1) return "an unclosed '['";
  }
  return undefined;
}

/**
 * Applies `--set key.path=value` overrides in place. Values are parsed as YAML scalars/flow
 * collections (`1e-3`, `true`, `[0.9, 0.95]`, `{type: sgd}`), so they validate like the file.
 */
export function applyOverrides(recipe: Record<string, unknown>, overrides: readonly string[], sourceMap: SourceMap, options: ApplyOverridesOptions = {}): void {
  const issues: ConfigIssue[] = [];
  for (const override of overrides) {
    const eq = override.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: '', message: `--set '${override}' must look like key.path=value (e.g. --set optimizer.lr=1e-3)` });
      continue;
    }
    const key = override.slice(0, eq).trim();
    const raw = override.slice(eq + 1);
    // An override has no lines; its location names the --set itself.
    const location = { file: `--set ${override}`, line: 0, col: 0 };
    let value: unknown;
    try {
      value = parseOverrideValue(raw);
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      issues.push({ path: key, message: `value '${raw}' is not valid YAML: ${reason}`, location });
      continue;
    }
    if (/(^|\.)(\.|$)|^\./.test(key)) {
      issues.push({ path: key, message: `--set '${key}' has an empty name between dots`, location });
      continue;
    }
    // A bracket that is no whole-number index was read as part of a key name: 'unknown key sources[x]'.
    const what = badListIndex(key);
    if (what !== undefined) {
      issues.push({ path: key, message: `${what} is not a list index: an item of a list is named by its position from 0, e.g. data.sources[0]`, location });
      continue;
    }
    const parts = splitPath(key);
    // The recipe's bases are merged before overrides apply: a --set extends would be ignored.
    if (parts[0] === 'extends') {
      issues.push({ path: key, message: `--set cannot change 'extends' (the bases are merged before --set applies): put it in the recipe (or in a new recipe that extends both)`, location });
      continue;
    }
    let node: unknown = recipe;
    let at = '';
    let failed = false;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      // A name steps into a mapping, an index into a list; anything else would be lost silently.
      const fits = typeof part === 'number' ? Array.isArray(node) : isPlainObject(node);
      if (!fits) {
        const holds = Array.isArray(node) ? 'a list' : isPlainObject(node) ? 'a mapping' : JSON.stringify(node);
        const wants = typeof part === 'number' ? `index [${part}]` : `key '${part}'`;
        const rest = parts.slice(i + 1).reduce<string>((p, q) => joinPath(p, q), at);
        const hint =
          Array.isArray(node) && /^\d+$/.test(String(part))
            ? ` (an item of a list is written ${at}[${part}])`
            : part === 0 && isPlainObject(node) && listSections().includes(at)
              ? ` (it is one item written without a list: set ${rest === at ? at : rest}, or give '${at}' as a list)`
              : shortFormHint(node, at, parts, i, raw, options);
        issues.push({ path: key, message: `${at === '' ? 'the recipe' : `'${at}'`} holds ${holds}, which has no ${wants}${hint}`, location });
        failed = true;
        break;
      }
      // An index may name an item or the next one (appending); past that the list would get holes.
      if (typeof part === 'number' && part > (node as unknown[]).length) {
        const n = (node as unknown[]).length;
        const choices = n === 0 ? 'it is empty: use [0] to add an item' : `${n} item${n === 1 ? '' : 's'}: use [0]..[${n - 1}] to change one, [${n}] to add one`;
        issues.push({ path: key, message: `index [${part}] is past the end of '${at}' (${choices})`, location });
        failed = true;
        break;
      }
      if (i === parts.length - 1) break;
      at = joinPath(at, part);
      const container = node as Record<string | number, unknown>;
      if (container[part] === undefined || container[part] === null) {
        container[part] = typeof parts[i + 1] === 'number' ? [] : {};
        // A section the override creates is the override's too (`--set nosuch.x=1`: unknown key 'nosuch').
        sourceMap.values.set(at, location);
        sourceMap.keys.set(at, location);
      }
      node = container[part];
    }
    if (failed) continue;
    (node as Record<string | number, unknown>)[parts[parts.length - 1]] = value;
    sourceMap.clearUnder(key);
    sourceMap.values.set(key, location);
    sourceMap.keys.set(key, location);
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Invalid --set override');
}

/** Recipe sections that take a list, where a single mapping is a list of one (`checkpoint`, `callbacks`). */
function listSections(): string[] {
  return allComponentKinds()
    .filter((k) => k.sectionIsList === true && k.recipeSection !== undefined)
    .map((k) => k.recipeSection as string);
}

/**
 * A --set value: YAML (`1e-3`, `true`, `[0.9, 0.95]`, `{type: sgd}`), except plain text that YAML
 * would cut or restructure, which stays the text typed: `Run 3: bigger` (a mapping to YAML) and
 * `runs/a #1` or `#3` (the rest a comment, silently dropped).
 */
function parseOverrideValue(raw: string): unknown {
  if (raw === '') return '';
  const text = raw.trim();
  const flowOrQuoted = /^[[{"']/.test(text);
  if (!flowOrQuoted && /(^|\s)#/.test(text)) return text;
  let value: unknown;
  try {
    value = parseYaml(raw);
  } catch (error) {
    if (!flowOrQuoted && /:\s/.test(text)) return text;
    throw error;
  }
  return !flowOrQuoted && isPlainObject(value) ? text : value;
}

/** `distributed: threads` then `--set distributed.workers=2`: how to write the section out in full. */
function shortFormHint(node: unknown, at: string, parts: ReadonlyArray<string | number>, i: number, raw: string, options: ApplyOverridesOptions): string {
  if (i !== 1 || parts.length !== 2 || typeof parts[1] !== 'string' || (typeof node !== 'string' && typeof node !== 'number')) return '';
  const key = options.shortFormKey?.(at);
  if (key === undefined || key === parts[1]) return '';
  return ` ('${at}: ${node}' is short for { ${key}: ${node} }: to set '${parts[1]}' as well, write the section out: --set '${at}={${key}: ${node}, ${parts[1]}: ${raw.trim()}}')`;
}
