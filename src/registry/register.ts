import { getMetadataStorage, validateSync, ValidationTypes } from 'class-validator';
import { didYouMean, listChoices, RegistrationError } from '../errors';
import { allComponentKinds, ComponentClass, ComponentKind, getComponentKind, isClass, isSubclassOf } from './component-kind';
import { getRegistry } from './registries';
import { callerSite, recordRegistrationSite, registrationSite } from './registration-site';
import { RegisterOptions } from './registry';

/** Registry keys: lowercase words joined by `-`, `_` or `.` (`adamw`, `inverse-sqrt`). */
const TYPE_PATTERN = /^[a-z][a-z0-9]*([-_.][a-z0-9]+)*$/;

/** Static attributes that look like factory lists but whose kind nobody declared. */
const LIST_ATTRIBUTE_PATTERN = /((Factory|Engine)(Types?|Lists?)|Factories|Engines)$/;

/**
 * Registers a component class after validating it, reporting every problem at once.
 *
 * Usable as a decorator (`@register()`, `@register({ override: true })`) or as a plain call for
 * JavaScript users (`register(MyTrainer)`). Re-registering the same class is a no-op.
 */
export function register<T extends Function>(cls: T, options?: RegisterOptions): T;
export function register(options?: RegisterOptions): <T extends Function>(cls: T) => T;
export function register<T extends Function>(
  clsOrOptions?: T | RegisterOptions,
  options?: RegisterOptions,
): T | (<U extends Function>(cls: U) => U) {
  if (typeof clsOrOptions === 'function') return registerClass(clsOrOptions, options ?? {});
  // `register(undefined)` is a JavaScript user's mistyped import, not the decorator form.
  if (arguments.length > 0 && (typeof clsOrOptions !== 'object' || clsOrOptions === null || Array.isArray(clsOrOptions))) {
    throw new RegistrationError(String(clsOrOptions), [`expected a class, register(MyClass), or options, @register({ override: true }); got ${clsOrOptions === null ? 'null' : typeof clsOrOptions}`]);
  }
  return <U extends Function>(cls: U): U => registerClass(cls, clsOrOptions ?? {});
}

function registerClass<T extends Function>(cls: T, options: RegisterOptions): T {
  const problems = validateComponentClass(cls, options);
  if (problems.length > 0) {
    // Which class of a plugin file: its register line (none for Floe's own).
    const site = callerSite();
    throw new RegistrationError(`${describe(cls)}${site === undefined ? '' : ` (at ${site})`}`, problems);
  }
  const component = cls as unknown as ComponentClass;
  if (getRegistry(component.kind).add(component, options)) recordRegistrationSite(cls);
  return cls;
}

function describe(cls: unknown): string {
  if (!isClass(cls)) return String(cls);
  const c = cls as unknown as Partial<ComponentClass>;
  const kind = typeof c.kind === 'string' ? (getComponentKind(c.kind)?.label ?? c.kind) : 'component';
  return `${kind} class ${cls.name || '(anonymous)'}`;
}

/**
 * Every registration problem of `cls`, empty when it is valid: its kind, its own `type` literal,
 * its config class, its methods, duplicates, and — for trainers — every factory list.
 */
export function validateComponentClass(cls: unknown, options: RegisterOptions = {}): string[] {
  if (!isClass(cls)) return [`expected a class, got ${typeof cls}`];
  const problems: string[] = optionProblems(options);
  const c = cls as unknown as Partial<ComponentClass> & Record<string, unknown>;
  const kind = typeof c.kind === 'string' ? getComponentKind(c.kind) : undefined;
  if (kind === undefined) {
    const kinds = allComponentKinds().map((k) => k.label).join(', ');
    problems.push(`it does not extend a component base class (no known static 'kind'); extend one of: ${kinds}`);
    return problems;
  }

  const ownType = Object.prototype.hasOwnProperty.call(cls, 'type') ? c.type : undefined;
  if (ownType === undefined) {
    const inherited = typeof c.type === 'string' ? ` (it inherits '${c.type}' from its parent, which would collide)` : '';
    problems.push(`missing its own static 'type' literal, e.g. static readonly type = 'my-${kind.name}'${inherited}`);
  } else if (typeof ownType !== 'string' || !TYPE_PATTERN.test(ownType)) {
    problems.push(`static 'type' must be a lowercase literal like 'adamw' or 'inverse-sqrt', got ${JSON.stringify(ownType)}`);
  } else {
    const existing = getRegistry(kind.name).find(ownType);
    if (existing !== undefined && (existing as unknown) !== cls && options.override !== true) {
      problems.push(`type '${ownType}' is already registered by class ${existing.name}${registrationSite(existing as unknown as Function)}; choose another type or pass { override: true }`);
    }
  }

  if (c.configType === undefined) {
    problems.push(`missing static 'configType' (a class extending ${kind.baseConfig.name})`);
  } else if (!isClass(c.configType)) {
    problems.push(`configType must be a config class extending ${kind.baseConfig.name}, got ${describeValue(c.configType)}`);
  } else if (!isSubclassOf(c.configType, kind.baseConfig)) {
    problems.push(`configType ${c.configType.name} does not extend ${kind.baseConfig.name}`);
  } else {
    problems.push(...parentConfigProblems(cls, c.configType), ...unsettableFieldProblems(c.configType));
  }

  const proto = cls.prototype as Record<string, unknown>;
  problems.push(...unknownHookProblems(cls));
  for (const method of kind.requiredMethods) {
    if (typeof proto[method] !== 'function') problems.push(`missing required method ${method}()`);
  }

  if (kind.name === 'trainer' && isAsyncFunction(proto.loss)) {
    problems.push('loss() must be synchronous: it runs inside the gradient tape and returns a tf.Scalar, not a Promise (remove async, and read no data() inside it)');
  }
  for (const method of kind.synchronousMethods ?? []) {
    if (isAsyncFunction(proto[method])) problems.push(`${method}() must return its product itself, not a Promise: Floe calls it without await (remove async)`);
  }
  if (kind.name === 'trainer') problems.push(...validateFactoryLists(cls), ...validateDeclaredCallbacks(cls), ...validateMethodCallbacks(cls));
  return problems;
}

/**
 * A subclass of a concrete component inherits methods that read the parent's settings
 * (`AdamWOptimizerFactory.createOptimizer()` reads `betas`), so its config must extend the
 * parent's config: otherwise those settings are missing at run time.
 */
function parentConfigProblems(cls: Function, configType: Function): string[] {
  const parent = Object.getPrototypeOf(cls) as Partial<ComponentClass> | null;
  const parentConfig = parent?.configType;
  if (!isClass(parentConfig) || isSubclassOf(configType, parentConfig)) return [];
  const parentName = typeof parent?.name === 'string' && parent.name !== '' ? parent.name : 'its parent';
  return [
    `configType ${configType.name} does not extend ${parentConfig.name}, the config of its parent class ${parentName}, whose inherited methods read those settings; extend ${parentConfig.name} instead`,
  ];
}

/**
 * Recipes may set only the config fields that carry a validator (the rest are unknown keys), so a
 * field with a default but no validator is one a user can see in code and never set.
 */
function unsettableFieldProblems(configType: Function): string[] {
  let instance: object;
  try {
    instance = new (configType as new () => object)();
  } catch (error) {
    return [`configType ${configType.name} cannot be constructed without arguments: ${error instanceof Error ? error.message : String(error)}`];
  }
  return unvalidatedFields(instance, '', new Set()).map(
    (field) => `configType ${configType.name} field '${field}' has no validator, so a recipe cannot set it (it would be an unknown key); add one, e.g. @IsNumber(), or @Allow() for a free-form value`,
  );
}

/**
 * Fields of `instance` without a validator, dotted, including those of nested config objects
 * (`retry.attempts` of a `@ValidateNested() retry = new Retry()`): a nested class without
 * validators takes any key silently.
 */
function unvalidatedFields(instance: object, prefix: string, seen: Set<object>): string[] {
  seen.add(instance);
  const metadata = getMetadataStorage().getTargetValidationMetadatas(instance.constructor, '', true, false);
  const validated = new Set(metadata.map((m) => m.propertyName));
  const nested = new Set(metadata.filter((m) => m.type === ValidationTypes.NESTED_VALIDATION).map((m) => m.propertyName));
  const out: string[] = [];
  for (const [field, value] of Object.entries(instance)) {
    if (prefix === '' && field === 'type') continue;
    if (!validated.has(field)) out.push(`${prefix}${field}`);
    // A @ValidateNested() config object of a class of its own (not a plain object).
    else if (nested.has(field) && typeof value === 'object' && value !== null && !Array.isArray(value) && !seen.has(value) && value.constructor !== Object) {
      out.push(...unvalidatedFields(value, `${prefix}${field}.`, seen));
    }
  }
  return out;
}

/** A non-class value, for messages: `an object`, `null`, `the string "x"`. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${withArticle(typeof value)}`;
}

/** Register options this version knows; a misspelt one (`overide`) would be ignored silently. */
const OPTION_NAMES = ['override'];

function optionProblems(options: RegisterOptions): string[] {
  const problems = Object.keys(options)
    .filter((k) => !OPTION_NAMES.includes(k))
    .map((k) => `unknown register option '${k}'; options: ${listChoices(OPTION_NAMES)}.${didYouMean(k, OPTION_NAMES)}`);
  if (options.override !== undefined && typeof options.override !== 'boolean') problems.push(`option override must be true or false, got ${JSON.stringify(options.override)}`);
  return problems;
}

/**
 * Methods named like hooks (`on<Something>`) that the kind's base class does not have: never
 * called, so a misspelt hook (`onEvaluation`) would silently do nothing.
 */
function unknownHookProblems(cls: Function): string[] {
  const chain: Function[] = [];
  for (let c: unknown = cls; isClass(c) && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.push(c);
  // The kind's base class declares `kind` itself (Callback); hooks are the on* methods it declares.
  const baseIndex = chain.findIndex((c) => Object.prototype.hasOwnProperty.call(c, 'kind'));
  if (baseIndex <= 0) return [];
  const hooks = Object.getOwnPropertyNames(chain[baseIndex].prototype).filter((name) => /^on[A-Z]/.test(name));
  if (hooks.length === 0) return [];
  // Only names close to a hook: a helper such as onSignal() is the class's own business.
  const own = new Set(chain.slice(0, baseIndex).flatMap((c) => Object.getOwnPropertyNames(c.prototype).filter((name) => /^on/i.test(name))));
  return [...own]
    .filter((name) => !hooks.includes(name) && didYouMean(name, hooks) !== '')
    .map((name) => `method ${name}() is not a hook, so it is never called.${didYouMean(name, hooks)} Hooks: ${listChoices(hooks)}.`);
}

/** True for an `async` function (it returns a Promise, whatever its body). */
function isAsyncFunction(value: unknown): boolean {
  return typeof value === 'function' && /^Async(Generator)?Function$/.test(value.constructor?.name ?? '');
}

/** `an optimizer factory`, `a model factory`. */
function withArticle(label: string): string {
  return `${/^[aeiou]/i.test(label) ? 'an' : 'a'} ${label}`;
}

/**
 * Checks a trainer's static `callbacks`: each entry a `[event, function]` pair whose event is
 * `pre-<method>` or `post-<method>` of one of its `callbackMethods`.
 */
function validateMethodCallbacks(cls: Function): string[] {
  const statics = cls as unknown as Record<string, unknown>;
  const callbacks = statics.callbacks;
  if (callbacks === undefined) return [];
  if (!Array.isArray(callbacks)) return [`static callbacks must be a list of [event, function] pairs, got ${typeof callbacks}`];
  const methods = Array.isArray(statics.callbackMethods) ? (statics.callbackMethods as string[]) : [];
  const events = methods.flatMap((m) => [`pre-${m}`, `post-${m}`]);
  const problems: string[] = [];
  callbacks.forEach((entry: unknown, i) => {
    const at = `callbacks[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || typeof entry[1] !== 'function') {
      problems.push(`${at} must be an [event, function] pair like ['pre-loss', fn]`);
    } else if (!events.includes(entry[0])) {
      problems.push(`${at} event '${entry[0]}' names no callback method (pre-/post- one of: ${listChoices(methods)}).${didYouMean(entry[0], events)}`);
    } else if (typeof (cls.prototype as Record<string, unknown>)[entry[0].replace(/^(pre|post)-/, '')] !== 'function') {
      problems.push(`${at} event '${entry[0]}' names method ${entry[0].replace(/^(pre|post)-/, '')}() of callbackMethods, which the trainer does not have`);
    } else if (/^(pre|post)-loss$/.test(entry[0]) && isAsyncFunction(entry[1])) {
      problems.push(`${at} '${entry[0]}' runs inside the gradient tape with loss(), so it must be synchronous; its function is async`);
    }
  });
  return problems;
}

/**
 * Checks a trainer's static `callbackType`: callback classes, each built with its default config
 * at run time, so that config must be valid as it stands (a required setting has no value there).
 */
function validateDeclaredCallbacks(cls: Function): string[] {
  const value = (cls as unknown as Record<string, unknown>).callbackType;
  if (value === undefined) return [];
  const entries = normalizeFactoryList(value);
  if (entries === undefined) return [`callbackType must be a callback class or a list of them, got ${typeof value}`];
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const at = `callbackType[${i}]`;
    if (!isClass(entry)) {
      problems.push(notAClass(at, entry, 'callback', 'callback'));
      return;
    }
    const entryKind = (entry as unknown as Partial<ComponentClass>).kind;
    if (entryKind !== 'callback') {
      const actual = typeof entryKind === 'string' ? withArticle(getComponentKind(entryKind)?.label ?? entryKind) : 'not a component';
      problems.push(`${at} ${entry.name} is ${actual}, expected a callback`);
      return;
    }
    const configType = (entry as unknown as Partial<ComponentClass>).configType;
    if (!isClass(configType)) return;
    const invalid = validateSync(new (configType as new () => object)(), { forbidUnknownValues: false }).map(
      (e) => `${e.property} (${Object.values(e.constraints ?? {}).join('; ') || 'invalid'})`,
    );
    if (invalid.length > 0) {
      problems.push(`${at} ${entry.name} is built with its default config, where ${invalid.join(', ')}; give those settings defaults, or name the callback in recipes' callbacks: instead`);
    }
  });
  return problems;
}

/** Checks each static factory list of a trainer class. */
function validateFactoryLists(cls: Function): string[] {
  const problems: string[] = [];
  const statics = staticAttributeNames(cls);
  const listKinds = allComponentKinds().filter((k) => k.trainerAttribute !== undefined);
  for (const kind of listKinds) {
    const attribute = kind.trainerAttribute as string;
    if (!statics.has(attribute)) continue;
    problems.push(...validateFactoryList(attribute, kind, (cls as unknown as Record<string, unknown>)[attribute]));
  }
  const declared = listKinds.map((k) => k.trainerAttribute as string);
  const values = cls as unknown as Record<string, unknown>;
  for (const name of statics) {
    if (declared.includes(name) || name === 'callbackType') continue;
    // `modelFactories` is too far from `modelFactoryType` for a spelling match: match its stem.
    const stem = name.replace(/(Factor(y|ies)|Engines?)\w*$/, '');
    const sameStem = stem !== name && stem !== '' ? declared.find((d) => d.startsWith(stem) && LIST_ATTRIBUTE_PATTERN.test(d)) : undefined;
    const hint = didYouMean(name, [...declared, 'callbackType']) || (sameStem === undefined ? '' : ` Did you mean '${sameStem}'?`);
    // `dataFactoryTypes = [...]`: components listed under a name no kind reads are never used.
    const holdsComponents = (normalizeFactoryList(values[name]) ?? []).some((e) => isClass(e) && typeof (e as unknown as Partial<ComponentClass>).kind === 'string');
    if (LIST_ATTRIBUTE_PATTERN.test(name) || (holdsComponents && hint !== '')) {
      problems.push(`static ${name} is not read by any component kind, so its list is ignored.${hint} For a kind of your own, declare it with defineComponentKind({ trainerAttribute: '${name}', ... }).`);
    }
  }
  return problems;
}

/**
 * A list entry that is not a class, with what is expected instead: a recipe type written where
 * the class goes ('sgd') names its class; `undefined` is what a mistyped import or an import
 * cycle (the class's module still loading) leaves.
 */
function notAClass(at: string, entry: unknown, kindName: string, label: string): string {
  const expected = `expected ${withArticle(label)} class`;
  if (typeof entry === 'string') {
    const cls = getRegistry(kindName).find(entry);
    if (cls !== undefined) return `${at} is the string '${entry}', ${expected}: list ${cls.name} (the class registered as '${entry}'), not its recipe type`;
    const names = getRegistry(kindName).classes.map((c) => c.name);
    return names.length === 0 ? `${at} is the string '${entry}', ${expected}` : `${at} is the string '${entry}', ${expected} (registered: ${listChoices(names)})`;
  }
  if (entry === undefined) return `${at} is undefined, ${expected}: check its import (a misspelt name, or an import cycle that leaves the class undefined while its module loads)`;
  return `${at} is not a class (got ${entry === null ? 'null' : typeof entry}), ${expected}`;
}

function validateFactoryList(attribute: string, kind: ComponentKind, value: unknown): string[] {
  const entries = normalizeFactoryList(value);
  if (entries === undefined) return [`${attribute} must be ${withArticle(kind.label)} class or a list of them, got ${typeof value}`];
  if (entries.length === 0) return [`${attribute} is empty; list at least one ${kind.label} (the first is the default)`];
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const at = `${attribute}[${i}]`;
    if (!isClass(entry)) {
      problems.push(notAClass(at, entry, kind.name, kind.label));
      return;
    }
    const entryKind = (entry as unknown as Partial<ComponentClass>).kind;
    if (entryKind !== kind.name) {
      const actual = typeof entryKind === 'string' ? withArticle(getComponentKind(entryKind)?.label ?? entryKind) : 'not a component';
      problems.push(`${at} ${entry.name} is ${actual}, expected ${withArticle(kind.label)}`);
      return;
    }
    const registry = getRegistry(kind.name);
    if (!Object.prototype.hasOwnProperty.call(entry, 'type')) {
      // A base class (OptimizerFactory) has no type: registering it cannot work, listing concrete ones does.
      const examples = listChoices(registry.classes.slice(0, 3).map((c) => c.name));
      problems.push(`${at} ${entry.name} has no static type of its own, so it cannot be registered: list registered ${kind.label} classes (${examples}, ...), or give it a type and register it`);
    } else if (!registry.contains(entry) && !registry.isReplaced(entry)) {
      problems.push(`${at} ${entry.name} is not registered; decorate it with @register() or call register(${entry.name}) first`);
    }
  });
  return problems;
}

/** A factory list attribute as an array (a single class counts as a one-item list). */
export function normalizeFactoryList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (isClass(value)) return [value];
  return undefined;
}

/** Names of static properties on a class and its ancestors. */
function staticAttributeNames(cls: Function): Set<string> {
  const names = new Set<string>();
  for (let c: unknown = cls; isClass(c) && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    for (const name of Object.getOwnPropertyNames(c)) names.add(name);
  }
  return names;
}
