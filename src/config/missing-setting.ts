import type { ValidationError } from 'class-validator';

/**
 * What a required setting that the recipe left out takes, in the recipe reference's words
 * ("list of non-empty string (at least 1)"), or undefined when its class says nothing. The rules
 * it broke read badly for a missing value: `paths` broke "must be a path" (each item) and "must
 * be an array" at once.
 */
export function missingSettingKind(error: ValidationError): string | undefined {
  const cls = (error.target as object | undefined)?.constructor;
  if (cls === undefined || cls === Object) return undefined;
  // Loaded when needed: the docs modules import the config modules.
  const { describeConfigFields } = require('../docs/config-fields') as typeof import('../docs/config-fields');
  const { describeSchema } = require('../docs/recipe-reference') as typeof import('../docs/recipe-reference');
  const field = describeConfigFields(cls).find((f) => f.name === error.property);
  if (field === undefined || field.component !== undefined) return undefined;
  const kind = describeSchema(field.schema).replace(/`/g, "'");
  return kind === 'any value' || kind === '' ? undefined : kind;
}
