import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { ComponentFieldInfo, componentFields } from '../config/component-list';
import { MAX_SAFE_WHOLE } from '../config/format-value';
import { IsCountOptions } from '../config/human-number';
import { shortFormKey } from '../config/short-form';
import { toPlainConfig } from '../config/to-plain';
import { knownConfigKeys } from '../config/validate-config';
import { fieldDocs, FieldDocs, findFieldDoc, JsonSchema } from './field-docs';

/** class-validator's record of one decorator on one property. */
type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** One setting of a config class, as a recipe writes it. */
export interface ConfigField {
  /** Recipe key. */
  name: string;
  /** One-paragraph description (the field's TSDoc), empty when undocumented. */
  description: string;
  /** Declared TypeScript type, when Floe's sources declare the field. */
  tsType?: string;
  /** JSON Schema of the values a recipe may write (human numbers and shorthands included). */
  schema: JsonSchema;
  /** True when a recipe must give it (no default, not optional). */
  required: boolean;
  /** Default value as plain data, undefined when unset. */
  default?: unknown;
  /** Set for fields whose items are components of another kind, chosen by `type` (`data.sources`). */
  component?: ComponentFieldInfo;
  /** Set for fields holding a nested settings object (`backend`, `keepBest`): its class. */
  nested?: Function;
}

/** Options of {@link describeConfigFields}. */
export interface DescribeOptions {
  /** Field documentation (default: the committed field docs). */
  docs?: FieldDocs;
  /** Keys to leave out (default: `type`, which the component's own type fills). */
  omit?: readonly string[];
  /**
   * Let schemas take `null` where the recipe loader reads it as "unset" (default false): every
   * setting a recipe may leave out, and unknown keys, in nested settings too.
   */
  nullUnsets?: boolean;
}

/** Matches what `parseHumanNumber` reads: `1k`, `2.5M`, `2^10`, `1e-3`, `1_000` (no sign: counts are not negative). */
const DIGITS = '[0-9][0-9_]*';
const HUMAN_NUMBER = `(?:(?:${DIGITS}(?:\\.[0-9_]*)?|\\.${DIGITS})(?:[eE][-+]?${DIGITS})?[kKmMbBgGtT]?|${DIGITS}\\^${DIGITS})`;
const SIGNED_HUMAN_NUMBER = `[-+]?${HUMAN_NUMBER}`;
const PERCENT = `${DIGITS}(?:\\.[0-9_]*)?%`;

/** A pattern for human-number strings, with or without `N%`. */
export function humanNumberPattern(options: { percent: boolean; signed: boolean }): string {
  const number = options.signed ? SIGNED_HUMAN_NUMBER : HUMAN_NUMBER;
  return `^\\s*(?:${number}${options.percent ? `|${PERCENT}` : ''})\\s*$`;
}

interface TransformStorage {
  findTypeMetadata(target: Function, property: string): { typeFunction: () => Function } | undefined;
}

/** class-transformer's metadata (where `@Type(() => Nested)` is recorded); it exports no typed path to it. */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const transformStorage = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformStorage }).defaultMetadataStorage;

/** Validators whose failure on a missing value makes a field required (custom ones may check several fields at once, so they do not). */
const SHAPE_VALIDATORS = new Set(['isString', 'isNotEmpty', 'isLength', 'isInt', 'isNumber', 'isPositive', 'min', 'max', 'isIn', 'isBoolean', 'isArray', 'arrayMinSize', 'arrayMaxSize', 'arrayNotEmpty', 'isCount', 'isPath']);

/**
 * The settings of a config class, required ones first, then in declaration order (base class
 * first), so a section's table opens with what a recipe must give: each with its
 * description, JSON Schema (from class-validator metadata, human-number and shorthand
 * transforms, and the TypeScript type where validators say less), default and whether it is
 * required. Nested component fields (`sources`) are listed with `component` set and an empty
 * schema; callers that know the registries fill it in.
 */
export function describeConfigFields(cls: Function, options: DescribeOptions = {}): ConfigField[] {
  const docs = options.docs ?? fieldDocs();
  const omit = options.omit ?? ['type'];
  const storage = getMetadataStorage();
  const metas = storage.getTargetValidationMetadatas(cls, '', true, false);
  const components = componentFields(cls);
  const names = orderedFieldNames(cls, docs, [...knownConfigKeys(cls), ...components.map((c) => c.property)]);
  const instance = new (cls as new () => object)() as Record<string, unknown>;
  const defaults = toPlainConfig(instance) as Record<string, unknown>;
  const missingErrors = errorsOnEmpty(cls);
  const out: ConfigField[] = [];
  for (const name of names) {
    if (omit.includes(name)) continue;
    const doc = findFieldDoc(cls, name, docs);
    const own = metas.filter((m) => m.propertyName === name);
    const component = components.find((c) => c.property === name);
    const field: ConfigField = { name, description: doc?.doc ?? '', schema: {}, required: false };
    if (doc !== undefined) field.tsType = doc.type;
    if (defaults[name] !== undefined) field.default = defaults[name];
    if (component !== undefined) {
      field.component = component;
      field.required = component.required;
      out.push(field);
      continue;
    }
    // @IsOptional (a condition) passes a missing value; a condition that still checks it there
    // (ropeScaling's llama3 numbers) leaves the field required, as failsWhenMissing finds.
    const optional = own.some((m) => m.type === 'conditionalValidation') && !(missingErrors.get(name) ?? []).some((c) => SHAPE_VALIDATORS.has(c));
    const nested = own.some((m) => m.type === 'nestedValidation') ? nestedClass(cls, name, instance[name]) : undefined;
    if (nested !== undefined) {
      field.nested = nested;
      field.schema = nestedSchema(cls, name, nested, { docs, nullUnsets: options.nullUnsets });
    } else {
      field.schema = valueSchema(cls, name, own, doc?.schema ?? {});
    }
    const failsWhenMissing = (missingErrors.get(name) ?? []).some((c) => SHAPE_VALIDATORS.has(c));
    field.required = !optional && field.default === undefined && failsWhenMissing;
    // `key: null` takes the default; a required setting has none, so null is as missing there.
    if (options.nullUnsets === true && !field.required) field.schema = orNull(field.schema);
    if (field.default !== undefined) field.schema = { ...field.schema, default: field.default };
    if (field.description !== '') field.schema = { description: field.description, ...field.schema };
    out.push(field);
  }
  return [...out.filter((f) => f.required), ...out.filter((f) => !f.required)];
}

/**
 * A JSON Schema of a whole config object (no `type` key unless asked): properties, required, no
 * unknown keys (with `nullUnsets`, unknown keys set to `null`, which the loader drops).
 */
export function configObjectSchema(cls: Function, options: DescribeOptions = {}): JsonSchema {
  const fields = describeConfigFields(cls, options);
  const properties: Record<string, JsonSchema> = {};
  for (const f of fields) properties[f.name] = f.schema;
  const required = fields.filter((f) => f.required).map((f) => f.name);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: unknownKeySchema(options) };
}

/** What an unknown key of a config object may hold: nothing, or `null` (unset) with `nullUnsets`. */
export function unknownKeySchema(options: Pick<DescribeOptions, 'nullUnsets'>): JsonSchema | false {
  return options.nullUnsets === true ? { type: 'null' } : false;
}

/** `schema` or `null`; its description and default stay on the outside, where editors show them. */
export function orNull(schema: JsonSchema): JsonSchema {
  const { description, default: defaultValue, ...shape } = schema;
  const keys = Object.keys(shape);
  const choices = keys.length === 1 && Array.isArray(shape.anyOf) ? (shape.anyOf as JsonSchema[]) : [shape];
  return { ...(description === undefined ? {} : { description }), anyOf: [...choices, { type: 'null' }], ...(defaultValue === undefined ? {} : { default: defaultValue }) };
}

/** Field names in declaration order: documented ancestors first, then anything only the metadata knows. */
function orderedFieldNames(cls: Function, docs: FieldDocs, known: string[]): string[] {
  const chain: Function[] = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.unshift(c as Function);
  const ordered: string[] = [];
  for (const c of chain) for (const name of Object.keys(docs[c.name]?.fields ?? {})) if (known.includes(name) && !ordered.includes(name)) ordered.push(name);
  for (const name of known) if (!ordered.includes(name)) ordered.push(name);
  return ordered;
}

/** Property → constraint names that fail on a config with nothing set. */
function errorsOnEmpty(cls: Function): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const errors = validateSync(new (cls as new () => object)(), { forbidUnknownValues: false, skipMissingProperties: false });
  for (const e of errors) if (e.value === undefined) out.set(e.property, Object.keys(e.constraints ?? {}));
  return out;
}

function nestedClass(cls: Function, name: string, value: unknown): Function | undefined {
  const declared = transformStorage.findTypeMetadata(cls, name)?.typeFunction();
  if (declared !== undefined) return declared;
  return typeof value === 'object' && value !== null && value.constructor !== Object ? value.constructor : undefined;
}

/** The transformed value of `raw` in field `name` of `cls` (what class-transformer makes of it). */
function transformed(cls: Function, name: string, raw: unknown): unknown {
  try {
    return (plainToInstance(cls as new () => object, { [name]: raw }) as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

/** A nested settings object; when a string is short for one of its fields (`backend: wasm`), that too. */
function nestedSchema(cls: Function, name: string, nested: Function, options: Pick<DescribeOptions, 'docs' | 'nullUnsets'>): JsonSchema {
  const objectSchema = configObjectSchema(nested, { ...options, omit: [] });
  const key = shortFormKey(cls, name);
  const shorthand = key === undefined ? undefined : (objectSchema.properties as Record<string, JsonSchema>)[key];
  if (shorthand === undefined) return objectSchema;
  const { description: _unused, default: _default, ...shape } = shorthand;
  return { anyOf: [shape, objectSchema] };
}

/** Schema of a scalar or list field from its validators; the TypeScript type fills what they leave open. */
function valueSchema(cls: Function, name: string, metas: ValidationMetadata[], hint: JsonSchema): JsonSchema {
  const own = metas.filter((m) => !m.each);
  const each = metas.filter((m) => m.each);
  const schema = applyValidators(cls, name, own);
  if (each.length > 0) {
    const items = applyValidators(cls, name, each);
    schema.items = { ...((hint.items as JsonSchema | undefined) ?? {}), ...items };
  }
  let result: JsonSchema = schema.type === undefined && schema.enum === undefined && schema.anyOf === undefined ? { ...hint, ...schema } : schema;
  if (result.type === 'array' && result.items === undefined && hint.type === 'array' && hint.items !== undefined) result = { ...result, items: hint.items };
  // A string that becomes a one-item list (`paths: data.csv`).
  if (result.type === 'array' && Array.isArray(transformed(cls, name, 'x'))) {
    const items = (result.items as JsonSchema | undefined) ?? {};
    result = { anyOf: [items, result] };
  }
  return result;
}

function applyValidators(cls: Function, name: string, metas: ValidationMetadata[]): JsonSchema {
  const s: JsonSchema = {};
  const numeric = (type: 'number' | 'integer'): void => {
    if (s.type !== 'integer') s.type = type;
  };
  for (const m of metas) {
    const c = m.constraints ?? [];
    switch (m.name) {
      case 'isBoolean': s.type = 'boolean'; break;
      case 'isString': s.type = 'string'; break;
      case 'isNotEmpty': s.minLength = 1; break;
      case 'isLength': s.minLength = c[0]; if (c[1] !== undefined) s.maxLength = c[1]; break;
      case 'isInt': s.type = 'integer'; break;
      case 'isNumber': numeric('number'); break;
      case 'isPositive': numeric('number'); s.exclusiveMinimum = 0; break;
      case 'min': s.minimum = c[0]; break;
      case 'max': s.maximum = c[0]; break;
      case 'isIn': s.enum = [...(c[0] as unknown[])]; break;
      case 'isArray': s.type = 'array'; break;
      case 'arrayMinSize': s.minItems = c[0]; break;
      case 'arrayMaxSize': s.maxItems = c[0]; break;
      case 'arrayNotEmpty': s.minItems = Math.max(1, (s.minItems as number | undefined) ?? 0); break;
      case 'isCount': Object.assign(s, countSchema(m)); break;
      case 'isPath': s.type = 'string'; s.minLength = 1; s.pattern = '\\S'; break;
      default: break;
    }
  }
  // `@HumanNumber()` on a plain number field: `lr: 1e-3` is a number already, `1k` a string.
  if ((s.type === 'number' || s.type === 'integer') && typeof transformed(cls, name, '1k') === 'number') {
    const { description: _d, ...numberSchema } = s;
    return { anyOf: [numberSchema, { type: 'string', pattern: humanNumberPattern({ percent: false, signed: true }) }] };
  }
  return s;
}

/** `@IsCount`: its options are recorded as the validator's constraint. */
function countSchema(m: ValidationMetadata): JsonSchema {
  const options = (m.constraints?.[0] ?? {}) as IsCountOptions;
  const minimum = options.min ?? 0;
  const numberSchema: JsonSchema = { type: options.allowFraction === true ? 'number' : 'integer', minimum };
  // Every count is bounded by exactness (2^53 − 1); only a tighter, chosen bound is worth stating.
  if (options.max !== undefined && options.max < MAX_SAFE_WHOLE) numberSchema.maximum = options.max;
  return { anyOf: [numberSchema, { type: 'string', pattern: humanNumberPattern({ percent: options.allowPercent === true, signed: false }) }] };
}
