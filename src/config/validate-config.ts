import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';
import { ConfigIssue, didYouMean, listChoices } from '../errors';
import { isPlainObject } from './compose';
import { joinPath } from './config-path';
import { ConfigClass, ComponentConfig } from './component-config';
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
  issues.push(...errors.flatMap((e) => flattenValidationError(e, path, sourceMap)));
  return { config, issues };
}

function unknownKeyIssues(instance: object, plain: Record<string, unknown>, path: string, sourceMap: SourceMap, extraKnown: readonly string[] = []): ConfigIssue[] {
  const known = [...knownConfigKeys(instance.constructor), ...extraKnown];
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(plain)) {
    const p = joinPath(path, key);
    if (!known.includes(key)) {
      const hint = `${didYouMean(key, known).trim()} Allowed: ${listChoices(known)}.`.trim();
      issues.push({ path: p, message: `unknown key '${key}'`, location: sourceMap.locateKey(p), hint });
      delete (instance as Record<string, unknown>)[key];
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

function isNestedConfig(value: unknown): value is object {
  return typeof value === 'object' && value !== null && value.constructor !== Object && knownConfigKeys(value.constructor).length > 0;
}

/** class-validator constraints that bound a number (named as in `ValidationError.constraints`). */
const RANGE_CONSTRAINTS = new Set(['min', 'max', 'isPositive', 'isNegative']);

function flattenValidationError(error: ValidationError, base: string, sourceMap: SourceMap): ConfigIssue[] {
  const index = /^\d+$/.test(error.property) ? Number(error.property) : error.property;
  const path = joinPath(base, index);
  const issues: ConfigIssue[] = [];
  let constraints = Object.entries(error.constraints ?? {});
  // A range says nothing about a value that is not a number at all ("abc"): its type message is enough.
  if (typeof error.value !== 'number' && constraints.some(([name]) => !RANGE_CONSTRAINTS.has(name))) {
    constraints = constraints.filter(([name]) => !RANGE_CONSTRAINTS.has(name));
  }
  for (const [, message] of constraints) {
    issues.push({ path, message: describeConstraint(message, error), location: sourceMap.locate(path) });
  }
  for (const child of error.children ?? []) issues.push(...flattenValidationError(child, path, sourceMap));
  return issues;
}

/** "lr must be a positive number" → "must be a positive number, got -1". */
function describeConstraint(message: string, error: ValidationError): string {
  let text = message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message;
  if (!/\bgot\b/.test(text) && error.value !== undefined && typeof error.value !== 'object') {
    text += `, got ${JSON.stringify(error.value)}`;
  } else if (error.value === undefined && !/\bgot\b/.test(text)) {
    text += ' (missing)';
  }
  return text;
}
