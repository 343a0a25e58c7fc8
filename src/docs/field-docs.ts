import fieldDocsJson from './field-docs.json';

/** A JSON Schema fragment (draft-07), kept loose: schemas are plain data. */
export type JsonSchema = { [key: string]: unknown };

/** One config field as the TypeScript source declares it. */
export interface FieldDoc {
  /** The field's TSDoc comment, as one paragraph (empty when it has none). */
  doc: string;
  /** The declared TypeScript type, as the compiler prints it (`number`, `"min" | "max"`). */
  type: string;
  /** A JSON Schema derived from the TypeScript type, used where no validator says more. */
  schema: JsonSchema;
}

/** One config class as the TypeScript source declares it. */
export interface ClassDoc {
  /** Source file, relative to the package root. */
  file: string;
  /** The class's TSDoc comment, as one paragraph. */
  doc: string;
  /** Fields the class itself declares (not inherited), in declaration order. */
  fields: Record<string, FieldDoc>;
}

/** Config class name → its documentation. */
export type FieldDocs = Record<string, ClassDoc>;

/**
 * TSDoc of every config class in Floe's sources, extracted at build time (TSDoc is gone at run
 * time) into the committed `field-docs.json` by `npm run docs:recipes`.
 */
export function fieldDocs(): FieldDocs {
  return fieldDocsJson as unknown as FieldDocs;
}

let floeClasses: Map<string, Function> | undefined;

/**
 * The docs are keyed by class name: they describe `cls` only when it is Floe's own class of that
 * name, not a plugin's class that happens to share it (a user's `SgdConfig` got Floe's `SgdConfig`
 * descriptions and field types).
 */
function docsOf(cls: Function, docs: FieldDocs): ClassDoc | undefined {
  // Loaded on first use: the package entry imports this module.
  floeClasses ??= new Map(
    Object.values(require('../index') as Record<string, unknown>)
      .filter((value): value is Function => typeof value === 'function')
      .map((f) => [f.name, f]),
  );
  return floeClasses.get(cls.name) === cls ? docs[cls.name] : undefined;
}

/**
 * The documentation of `field` on `cls` or the nearest ancestor that declares it, from `docs`
 * (default: the committed field docs). Undefined for classes Floe's sources do not declare
 * (a plugin's config classes; their Floe ancestors' fields are still found).
 */
export function findFieldDoc(cls: Function, field: string, docs: FieldDocs = fieldDocs()): FieldDoc | undefined {
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const found = docsOf(c as Function, docs)?.fields[field];
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The TSDoc of a class, empty when Floe's sources do not document it (a plugin's class). */
export function findClassDoc(cls: Function, docs: FieldDocs = fieldDocs()): string {
  return docsOf(cls, docs)?.doc ?? '';
}
