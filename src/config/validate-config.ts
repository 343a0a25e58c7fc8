import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';
import { ConfigIssue, didYouMean, listChoices } from '../errors';
import { isPlainObject } from './compose';
import { isAtOrUnder, joinPath } from './config-path';
import { ConfigClass, ComponentConfig } from './component-config';
import { attachRecipe, CONFIG_RULE_PREFIX, WHOLE_RECIPE_GROUP } from './config-rule';
import { formatValue, SAFE_WHOLE_LIMIT_TEXT } from './format-value';
import { keySynonym, sectionHome } from './key-synonyms';
import { missingSettingKind } from './missing-setting';
import { Percent } from './human-number';
import { SourceMap } from './source-map';

/** Config keys a class accepts: every property that carries a validator (inherited too). */
export function knownConfigKeys(cls: Function): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

/** Result of {@link buildConfig}: the instance and every problem found. */
export interface BuiltConfig<C> {
  /** The config instance (filled in as far as the input allowed). */
  config: C;
  /** Every problem found; empty when valid. */
  issues: ConfigIssue[];
}

/**
 * Turns a plain recipe section into a validated config instance: unknown keys (with "did you
 * mean"), class-transformer conversion, class-validator checks — every problem with its config
 * path and source location. Does no I/O.
 */
export function buildConfig<C extends object>(
  cls: ConfigClass<C & ComponentConfig> | (new () => C),
  plain: unknown,
  options: { path: string; sourceMap: SourceMap; ignoreKeys?: readonly string[] },
): BuiltConfig<C> {
  const { path, sourceMap } = options;
  if (plain === undefined || plain === null) plain = {};
  if (!isPlainObject(plain)) {
    const issue = { path, message: `must be a mapping of settings, got ${JSON.stringify(plain)}`, location: sourceMap.locate(path) };
    return { config: new cls(), issues: [issue] };
  }
  const issues: ConfigIssue[] = [];
  const input = { ...plain };
  for (const key of options.ignoreKeys ?? []) delete input[key];
  const config = plainToInstance(cls as new () => C, input);
  issues.push(...unknownKeyIssues(config, input, path, sourceMap, options.ignoreKeys ?? []));
  const errors = validateSync(config, { forbidUnknownValues: false, skipMissingProperties: false });
  // A number that is not finite or not exact gets one message of its own, in place of whatever
  // the field's validators made of it (a range says nothing useful about NaN; some pass Infinity).
  const numberIssues = inexactNumberIssues(config, Object.keys(input), path, sourceMap);
  const covered = (p: string): boolean => numberIssues.some((n) => isAtOrUnder(n.path, p));
  issues.push(...errors.flatMap((e) => flattenValidationError(e, path, sourceMap)).filter((i) => !covered(i.path)));
  issues.push(...numberIssues);
  return { config, issues };
}

/**
 * Numbers no setting may hold, found anywhere under the given keys of a config instance (nested
 * settings, lists and free-form mappings such as a layer list included): NaN and ±Infinity (YAML
 * `.nan`, `.inf`, `1e400`, `2^2000`), and, in whole-number fields (`@IsInt`), integers beyond
 * 2^53 − 1, which are not the numbers they look like. One issue per value.
 */
function inexactNumberIssues(config: object, keys: string[], base: string, sourceMap: SourceMap): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ path, message, location: sourceMap.locate(path) });
  };
  const visit = (value: unknown, path: string, whole: boolean): void => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) add(path, `must be a finite number, got ${formatValue(value)}`);
      else if (whole && Number.isInteger(value) && !Number.isSafeInteger(value)) add(path, `must be a whole number no larger than ${SAFE_WHOLE_LIMIT_TEXT}, got ${formatValue(value)}`);
      return;
    }
    if (value instanceof Percent) {
      if (!Number.isFinite(value.percent)) add(path, `must be a finite percentage, got ${formatValue(value.percent)}%`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, joinPath(path, i), whole));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (isNestedConfig(value)) {
      visitConfig(value, Object.keys(value), path);
      return;
    }
    if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) visit(item, joinPath(path, key), false);
  };
  const visitConfig = (object: object, names: string[], path: string): void => {
    const wholeFields = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(object.constructor, '', true, false)
        .filter((m) => m.name === 'isInt')
        .map((m) => m.propertyName),
    );
    for (const name of names) visit((object as Record<string, unknown>)[name], joinPath(path, name), wholeFields.has(name));
  };
  visitConfig(config, keys, base);
  return issues;
}

/**
 * Checks the rules over the whole recipe ({@link ConfigRule}s with `wholeRecipe`) on the trainer's
 * config once every section is built into it: rules between sections, such as a warmup longer than
 * an explicit `trainIters`. Does no I/O.
 */
export function wholeRecipeIssues(config: object, sourceMap: SourceMap): ConfigIssue[] {
  const options = { groups: [WHOLE_RECIPE_GROUP], forbidUnknownValues: false, skipMissingProperties: false };
  const issues = validateSync(config, options).flatMap((e) => flattenValidationError(e, '', sourceMap));
  // Every component config in the recipe (sections and the components inside them, such as data sources).
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, joinPath(path, i)));
      return;
    }
    if (!(value instanceof ComponentConfig)) return;
    attachRecipe(value, config);
    issues.push(...validateSync(value, options).flatMap((e) => flattenValidationError(e, path, sourceMap)));
    for (const [key, item] of Object.entries(value)) visit(item, joinPath(path, key));
  };
  for (const [key, value] of Object.entries(config)) visit(value, key);
  return issues;
}

function unknownKeyIssues(instance: object, plain: Record<string, unknown>, path: string, sourceMap: SourceMap, extraKnown: readonly string[] = []): ConfigIssue[] {
  const known = [...knownConfigKeys(instance.constructor), ...extraKnown];
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(plain)) {
    const p = joinPath(path, key);
    if (!known.includes(key)) {
      // `null` unsets: an extending recipe that switches a section's type drops the base's keys the new type lacks.
      if (plain[key] === null) {
        delete (instance as Record<string, unknown>)[key];
        continue;
      }
      const synonym = keySynonym(key, known);
      const home = path === '' ? sectionHome(key) : undefined;
      const suggestion = synonym !== undefined ? `Floe calls it '${synonym}'.` : home !== undefined ? `It belongs in a section: ${home}.` : didYouMean(key, known).trim();
      const hint = `${suggestion} Allowed: ${listChoices(known)}.`.trim();
      issues.push({ path: p, message: `unknown key '${key}'`, location: sourceMap.locateKey(p), hint });
      delete (instance as Record<string, unknown>)[key];
      continue;
    }
    // `null` on a known key unsets it too: the setting takes its default, as if left out (a
    // null `trainIters` meant 0 steps, a null `eps` was 'not a positive number').
    if (plain[key] === null) {
      (instance as Record<string, unknown>)[key] = defaultOf(instance, key);
      continue;
    }
    // Nested config objects (those with validators of their own) are checked for unknown keys too.
    const value = (instance as Record<string, unknown>)[key];
    const raw = plain[key];
    if (Array.isArray(value) && Array.isArray(raw)) {
      value.forEach((item, i) => {
        if (isNestedConfig(item) && isPlainObject(raw[i])) issues.push(...unknownKeyIssues(item, raw[i] as Record<string, unknown>, joinPath(p, i), sourceMap));
      });
    } else if (isNestedConfig(value) && isPlainObject(raw)) {
      issues.push(...unknownKeyIssues(value, raw, p, sourceMap));
    }
  }
  return issues;
}

/** The value a config class gives `key` when the recipe leaves it out. */
function defaultOf(instance: object, key: string): unknown {
  return (new (instance.constructor as new () => Record<string, unknown>)())[key];
}

function isNestedConfig(value: unknown): value is object {
  return typeof value === 'object' && value !== null && value.constructor !== Object && knownConfigKeys(value.constructor).length > 0;
}

/** class-validator constraints that bound a number (named as in `ValidationError.constraints`). */
const RANGE_CONSTRAINTS = new Set(['min', 'max', 'isPositive', 'isNegative']);
/** class-validator constraints on a list's length and contents. */
const ARRAY_CONSTRAINTS = new Set(['arrayMinSize', 'arrayMaxSize', 'arrayNotEmpty', 'arrayUnique', 'arrayContains', 'arrayNotContains']);

function flattenValidationError(error: ValidationError, base: string, sourceMap: SourceMap): ConfigIssue[] {
  const index = /^\d+$/.test(error.property) ? Number(error.property) : error.property;
  const path = joinPath(base, index);
  const issues: ConfigIssue[] = [];
  // Type rules first: "must be an integer number and must not be less than 0".
  let constraints = Object.entries(error.constraints ?? {}).sort(([a], [b]) => ruleRank(a) - ruleRank(b));
  // A range says nothing about a value that is not a number at all ("abc"): its type message is enough.
  if (typeof error.value !== 'number' && constraints.some(([name]) => !RANGE_CONSTRAINTS.has(name))) {
    constraints = constraints.filter(([name]) => !RANGE_CONSTRAINTS.has(name));
  }
  // Likewise a list's length and items say nothing of a value that is no list (betas: 0.9).
  if (!Array.isArray(error.value) && constraints.some(([name]) => name === 'isArray')) {
    // ... and so do its rules for each item ("each value in hidden must be an integer number and must be an array").
    constraints = constraints.filter(([name, message]) => !ARRAY_CONSTRAINTS.has(name) && !message.startsWith(`each value in ${error.property} `));
  }
  // One message per bad value: the rules it breaks, joined ("must be an integer number and must not be less than 0, got -1.5").
  if (constraints.length > 0) {
    // A rule over several settings names its values itself, in sentences of its own: it is not
    // joined into the value's rules with "and" ("... set it to null) and must not be greater than 1").
    const rules = constraints.filter(([name]) => name.startsWith(CONFIG_RULE_PREFIX)).map(([, message]) => message);
    let texts = constraints.filter(([name]) => !name.startsWith(CONFIG_RULE_PREFIX)).map(([, message]) => ruleText(message, error));
    if (texts.length > 1) texts = texts.map((t) => t.replace(/, got .*$/s, ''));
    const names = constraints.map(([name]) => name);
    const hint = booleanHint(names, error.value) ?? contextHint(error, names) ?? choiceHint(error) ?? listHint(names, error.value);
    const message = [...(texts.length > 0 ? [withValue(texts.join(' and '), error)] : []), ...rules].join('; ');
    issues.push({ path, message, location: sourceMap.locate(path), ...(hint === undefined ? {} : { hint }) });
  }
  for (const child of error.children ?? []) issues.push(...flattenValidationError(child, path, sourceMap));
  return issues;
}

/**
 * For a switch given as text: `yes`, `on`, `off` are booleans in YAML 1.1 (PyYAML, so ArcticTraining
 * and HF configs) but text in YAML 1.2, which recipes are; a quoted `"true"` is text in both.
 */
/**
 * A validator's own hint for a bad value: `@IsIn(names, { context: { hint: (value) => ... } })`
 * says what a name from elsewhere means here (a message alone cannot depend on the value's meaning).
 */
function contextHint(error: ValidationError, constraints: string[]): string | undefined {
  for (const name of constraints) {
    const hint = (error.contexts?.[name] as { hint?: (value: unknown) => string | undefined } | undefined)?.hint?.(error.value);
    if (hint !== undefined) return hint;
  }
  return undefined;
}

/** `progress: lnes` → "Did you mean 'lines'?", from the choices an @IsIn message lists. */
function choiceHint(error: ValidationError): string | undefined {
  const choices = /one of the following values: (.*)$/.exec(error.constraints?.isIn ?? '')?.[1];
  if (choices === undefined || typeof error.value !== 'string') return undefined;
  return didYouMean(error.value, choices.split(', ')).trim() || undefined;
}

/** `hidden: 32,32` (a --set or a plain YAML scalar) is text: say how a list is written. */
function listHint(constraints: string[], value: unknown): string | undefined {
  if (!constraints.includes('isArray') || typeof value !== 'string' || !value.includes(',')) return undefined;
  return `Write a list in brackets: [${value.split(',').map((v) => v.trim()).join(', ')}].`;
}

function booleanHint(constraints: string[], value: unknown): string | undefined {
  if (!constraints.includes('isBoolean') || typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (word === 'true' || word === 'false') return `Write ${word} without quotes: quoted, it is text.`;
  const yes = ['yes', 'y', 'on'].includes(word);
  if (yes || ['no', 'n', 'off'].includes(word)) return `Write ${yes ? 'true' : 'false'}: recipes are YAML 1.2, where '${value}' is text, not a boolean.`;
  return 'Write true or false.';
}

/** Constraints that say what kind of value a field takes, named as in `ValidationError.constraints`. */
const TYPE_CONSTRAINTS = new Set(['isString', 'isNumber', 'isInt', 'isBoolean', 'isArray', 'isIn', 'isPath', 'isCount']);

function ruleRank(name: string): number {
  if (TYPE_CONSTRAINTS.has(name)) return 0;
  return RANGE_CONSTRAINTS.has(name) ? 2 : 1;
}

/** class-validator's wording of a broken rule, made to read after the path: "lr must be a positive number" → "must be a positive number". */
function ruleText(message: string, error: ValidationError): string {
  let text = message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message;
  // class-validator's text for @IsNumber() names no constraint the reader can act on.
  text = text.replace('must be a number conforming to the specified constraints', 'must be a number');
  return text;
}

/** Appends the value the rules were broken by ("…, got -1"), unless a rule's own text already gave it. */
function withValue(text: string, error: ValidationError): string {
  if (/\bgot\b/.test(text)) return text;
  if (error.value === undefined) {
    if (/^missing\b/.test(text)) return text;
    // One broken rule says what the setting takes; several, joined, contradict each other for a missing value.
    const kind = Object.keys(error.constraints ?? {}).length > 1 ? missingSettingKind(error) : undefined;
    return kind === undefined ? `${text} (missing)` : `missing '${error.property}', which is required: ${kind}`;
  }
  return typeof error.value === 'object' && error.value !== null && !Array.isArray(error.value) ? text : `${text}, got ${formatValue(error.value)}`;
}
