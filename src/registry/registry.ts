import { didYouMean, listChoices, RegistrationError, UnknownTypeError } from '../errors';
import { ComponentClass, ComponentKind } from './component-kind';

/** Options for {@link Registry.add}. */
export interface RegisterOptions {
  /** Replace a different class already registered under the same type (logs a warning). */
  override?: boolean;
}

/** Where a lookup came from, for error messages. */
export interface LookupContext {
  /** Config path, e.g. `optimizer.type`. */
  path?: string;
  /** `recipe.yaml:12:9` */
  where?: string;
}

/** One typed registry per component kind: `type` literal → class. */
export class Registry<T extends ComponentClass = ComponentClass> {
  private readonly entries = new Map<string, T>();
  /** Classes whose type another class took over with `{ override: true }`. */
  private readonly replaced = new Set<T>();

  constructor(
    /** The kind whose classes this registry holds. */
    readonly kind: ComponentKind,
  ) {}

  /** Registered type keys, in registration order. */
  get types(): string[] {
    return [...this.entries.keys()];
  }

  /** Registered classes, in registration order. */
  get classes(): T[] {
    return [...this.entries.values()];
  }

  /** True when a class is registered under `type`. */
  has(type: string): boolean {
    return this.entries.has(type);
  }

  /** True when this exact class is registered (under its own type). */
  contains(cls: unknown): boolean {
    return [...this.entries.values()].includes(cls as T);
  }

  /**
   * True when `cls` was registered and another class then took its type with `{ override: true }`:
   * trainers that list `cls` get the replacement.
   */
  isReplaced(cls: unknown): boolean {
    if (!this.replaced.has(cls as T)) return false;
    const holder = this.entries.get((cls as T).type);
    return holder !== undefined && holder !== cls;
  }

  /** The class registered under `type`, or undefined. */
  find(type: string): T | undefined {
    return this.entries.get(type);
  }

  /** The class registered under `type`; a clear error listing the choices otherwise. */
  get(type: string, context: LookupContext = {}): T {
    const cls = this.entries.get(type);
    if (cls !== undefined) return cls;
    const at = context.path === undefined ? '' : ` at ${context.path}`;
    const where = context.where === undefined ? '' : ` (${context.where})`;
    throw new UnknownTypeError(
      `Unknown ${this.kind.label} type '${type}'${at}${where}. Registered: ${listChoices(this.types)}.${didYouMean(type, this.types)}`,
    );
  }

  /**
   * Adds `cls` under its `type`. Returns false when the same class was already registered
   * (a no-op), throws via `onConflict` when a different class holds the key without override.
   */
  add(cls: T, options: RegisterOptions = {}, warn: (message: string) => void = console.warn): boolean {
    const existing = this.entries.get(cls.type);
    if (existing === cls) return false;
    if (existing !== undefined) {
      if (options.override !== true) {
        throw new RegistrationError(`${this.kind.label} class ${cls.name}`, [
          `type '${cls.type}' is already registered by class ${existing.name}; choose another type or pass { override: true }`,
        ]);
      }
      warn(`Floe: ${this.kind.label} type '${cls.type}' (class ${existing.name}) overridden by class ${cls.name}.`);
      this.replaced.add(existing);
    }
    this.entries.set(cls.type, cls);
    return true;
  }

  /** Removes a type (tests use this to undo their registrations). */
  delete(type: string): boolean {
    return this.entries.delete(type);
  }

  /** A copy of the entries, to restore later with {@link restore}. */
  snapshot(): Map<string, T> {
    return new Map(this.entries);
  }

  /** Restores entries saved with {@link snapshot}. */
  restore(saved: Map<string, T>): void {
    this.entries.clear();
    for (const [k, v] of saved) this.entries.set(k, v);
  }
}
