import { ComponentConfig, ConfigClass } from '../config/component-config';
import { RegistrationError } from '../errors';

/**
 * The static side every registrable component shares: a registry key, its config class and the
 * kind it belongs to. Factories, trainers, callbacks and data sources all have this shape.
 */
export interface ComponentClass {
  /** The kind this class belongs to (inherited from the kind's base class). */
  readonly kind: string;
  /** Registry key and recipe word; must be declared on the class itself, as a literal. */
  readonly type: string;
  /** Config class; must extend the kind's base config. */
  readonly configType: ConfigClass;
  /** The class's prototype (required methods are checked on it). */
  readonly prototype: object;
  /** The class name, for messages only (never a registry key). */
  readonly name: string;
}

/** What Floe knows about one kind of component (optimizer factory, trainer, ...). */
export interface ComponentKind {
  /** Kind name, also the value of the base class's static `kind`. */
  readonly name: string;
  /** Human wording for messages: "optimizer factory". */
  readonly label: string;
  /** Base config class every config of this kind extends. */
  readonly baseConfig: ConfigClass;
  /** Methods an instance must have (checked on the prototype at registration). */
  readonly requiredMethods: readonly string[];
  /** Methods Floe calls without `await`: an `async` one is refused at registration. */
  readonly synchronousMethods?: readonly string[];
  /**
   * For kinds a trainer lists: the trainer's static attribute (`optimizerFactoryType`) and the
   * recipe section it selects (`optimizer`).
   */
  readonly trainerAttribute?: string;
  /** The recipe section it fills (`optimizer`), for kinds a trainer lists (and callbacks). */
  readonly recipeSection?: string;
  /** True when the recipe section is a list of components (checkpoint engines, callbacks). */
  readonly sectionIsList?: boolean;
}

const kinds = new Map<string, ComponentKind>();

/** Kind names: lowercase words joined by `-` (`optimizer`, `tabular-source`). */
const KIND_NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Declares a component kind. Built-in kinds are declared by their base classes' modules; a
 * user's trainer may declare its own kind (say `regularizerFactoryType` → recipe section
 * `regularizer`). Declaring the same kind again is a no-op; a different kind under a name,
 * trainer attribute or recipe section already taken is a {@link RegistrationError} listing every
 * problem (it would silently stand for the existing kind).
 */
export function defineComponentKind(kind: ComponentKind): ComponentKind {
  const existing = kinds.get(kind.name);
  if (existing !== undefined && sameKind(existing, kind)) return existing;
  const problems = componentKindProblems(kind);
  if (problems.length > 0) throw new RegistrationError(`component kind ${JSON.stringify(kind.name)}`, problems);
  kinds.set(kind.name, kind);
  return kind;
}

function sameKind(a: ComponentKind, b: ComponentKind): boolean {
  const fields = ['name', 'label', 'baseConfig', 'trainerAttribute', 'recipeSection', 'sectionIsList'] as const;
  return fields.every((f) => a[f] === b[f]) && a.requiredMethods.join() === b.requiredMethods?.join() && (a.synchronousMethods ?? []).join() === (b.synchronousMethods ?? []).join();
}

/** Every problem of a kind declaration, against itself and the kinds declared before it. */
function componentKindProblems(kind: ComponentKind): string[] {
  const problems: string[] = [];
  if (typeof kind.name !== 'string' || !KIND_NAME_PATTERN.test(kind.name)) {
    problems.push(`name must be lowercase words joined by '-', like 'regularizer', got ${JSON.stringify(kind.name)}`);
  }
  if (typeof kind.label !== 'string' || kind.label.trim() === '') problems.push(`label must be the kind in words, like 'regularizer factory'`);
  if (!isSubclassOf(kind.baseConfig, ComponentConfig)) problems.push('baseConfig must be a config class extending ComponentConfig');
  if (!Array.isArray(kind.requiredMethods) || !kind.requiredMethods.every((m) => typeof m === 'string')) {
    problems.push(`requiredMethods must be a list of method names, like ['createPenalty']`);
  }
  if (kind.trainerAttribute !== undefined && kind.recipeSection === undefined) {
    problems.push(`trainerAttribute '${kind.trainerAttribute}' needs a recipeSection: the recipe section whose 'type' picks from that list`);
  }
  const taken = kinds.get(kind.name);
  if (taken !== undefined) problems.push(`name '${kind.name}' is already the ${describeKind(taken)}; choose another name`);
  for (const other of kinds.values()) {
    if (other.name === kind.name) continue;
    if (kind.trainerAttribute !== undefined && other.trainerAttribute === kind.trainerAttribute) {
      problems.push(`trainerAttribute '${kind.trainerAttribute}' is already the list of the ${describeKind(other)}; choose another attribute`);
    }
    if (kind.recipeSection !== undefined && other.recipeSection === kind.recipeSection) {
      problems.push(`recipeSection '${kind.recipeSection}' is already the section of the ${describeKind(other)}; choose another section`);
    }
  }
  return problems;
}

/** `loss factory kind 'loss' (recipe section 'loss')`, for messages. */
function describeKind(kind: ComponentKind): string {
  const section = kind.recipeSection === undefined ? '' : ` (recipe section '${kind.recipeSection}')`;
  return `${kind.label} kind '${kind.name}'${section}`;
}

/**
 * Forgets a declared kind. Only for restoring a registry snapshot: a kind a test (or a plugin it
 * loaded) declared must not outlive the test.
 */
export function forgetComponentKind(name: string): void {
  kinds.delete(name);
}

/** The kind named `name`, if declared. */
export function getComponentKind(name: string): ComponentKind | undefined {
  return kinds.get(name);
}

/** Every declared kind, in declaration order. */
export function allComponentKinds(): ComponentKind[] {
  return [...kinds.values()];
}

/** The kind whose trainer attribute is `attribute` (e.g. `optimizerFactoryType`). */
export function kindForTrainerAttribute(attribute: string): ComponentKind | undefined {
  return [...kinds.values()].find((k) => k.trainerAttribute === attribute);
}

/** True if `value` is a class (function with a prototype). */
export function isClass(value: unknown): value is Function & { prototype: object } {
  return typeof value === 'function' && value.prototype !== undefined;
}

/** True if `sub` is `base` or extends it. */
export function isSubclassOf(sub: unknown, base: Function): boolean {
  return isClass(sub) && (sub === base || sub.prototype instanceof base);
}

/** A section config's base class for a kind, for typing helpers. */
export type ConfigOf<K extends ComponentKind> = K['baseConfig'] extends ConfigClass<infer C> ? C : ComponentConfig;

/** A kind's label in the plural, for headings and lists (`data factory` → `data factories`). */
export function pluralLabel(label: string): string {
  return /[^aeiou]y$/.test(label) ? `${label.slice(0, -1)}ies` : `${label}s`;
}
