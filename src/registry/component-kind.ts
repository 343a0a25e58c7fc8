import { ComponentConfig, ConfigClass } from '../config/component-config';

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

/**
 * Declares a component kind. Built-in kinds are declared by their base classes' modules; a
 * user's trainer may declare its own kind (say `lossFactoryType` → recipe section `loss`).
 */
export function defineComponentKind(kind: ComponentKind): ComponentKind {
  const existing = kinds.get(kind.name);
  if (existing !== undefined) return existing;
  kinds.set(kind.name, kind);
  return kind;
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
