import * as path from 'path';
import { CheckpointFolder, checkpointFolders, sharedFolderIssues } from '../checkpoint/checkpoint-folders';
import { ConfigError, ConfigIssue, didYouMean, formatLocation, listChoices, SourceLocation } from '../errors';
import { allComponentKinds, ComponentClass, ComponentKind, getComponentKind, pluralLabel } from '../registry/component-kind';
import { normalizeFactoryList } from '../registry/register';
import { getRegistry } from '../registry/registries';
import type { Trainer } from '../trainer/trainer';
import { RECIPE_META_KEYS, TrainerConfig } from '../trainer/trainer-config';
import { ComponentConfig } from './component-config';
import { componentFields } from './component-list';
import { composeRecipe, composeRecipeFile, isPlainObject } from './compose';
import { joinPath, parentPath, splitPath } from './config-path';
import { applyOverrides } from './overrides';
import { shortFormKey } from './short-form';
import { loadPlugins } from './plugins';
import { SourceMap } from './source-map';
import { toPlainConfig } from './to-plain';
import { buildConfig, knownConfigKeys, wholeRecipeIssues } from './validate-config';

/** The trainer class a recipe chose. */
export type TrainerClass = (abstract new (...args: any[]) => Trainer) & ComponentClass & Record<string, unknown>;

/** A recipe composed, resolved and validated: everything needed to start a run. */
export interface ResolvedRecipe {
  /** The trainer class the recipe's `type` names. */
  trainerClass: TrainerClass;
  /** The validated recipe: the trainer's config with every section's config instance. */
  config: TrainerConfig;
  /** The validated recipe as plain data, defaults filled in (saved as recipe.resolved.yaml). */
  resolved: Record<string, unknown>;
  /** Recipe files read, the top one first (for an object recipe, only the files it extends). */
  files: string[];
  /** Folder relative input paths resolve against. */
  recipeDir: string;
  /** Where each setting came from (file:line:col or `--set`), for errors found after validation. */
  sourceMap: SourceMap;
}

/** Options of {@link validateRecipe} and {@link loadRecipe}. */
export interface RecipeOptions {
  /** `key.path=value` overrides applied after composition (`--set`). */
  overrides?: readonly string[];
  /** For object recipes: the folder relative paths resolve against (default: cwd). */
  baseDir?: string;
  /** Name used for the default outputDir `runs/<name>` (default: the recipe file's name). */
  name?: string;
  /**
   * Refuse checkpoint engines that share a folder (default true). Off only for the recipe of a
   * checkpoint loaded for inference or export, which writes no checkpoints.
   */
  checkCheckpointFolders?: boolean;
}

/** Trainer type used when a recipe names none. */
export const DEFAULT_TRAINER_TYPE = 'causal';

/** Loads a recipe file (with `extends`, plugins and overrides) and validates all of it. */
export async function loadRecipe(file: string, options: RecipeOptions = {}): Promise<ResolvedRecipe> {
  return validateRecipe(file, options);
}

/**
 * Composes, resolves and validates a recipe given as a file path or a plain object. Every
 * problem is collected and thrown as one {@link ConfigError} naming config paths and
 * file:line:col. Imports plugins, but does no other I/O and builds nothing heavy.
 */
export async function validateRecipe(input: string | Record<string, unknown>, options: RecipeOptions = {}): Promise<ResolvedRecipe> {
  let plain: Record<string, unknown>;
  let sourceMap: SourceMap;
  let files: string[] = [];
  let recipeDir: string;
  let name: string;
  if (typeof input === 'string') {
    const composed = composeRecipeFile(input);
    ({ value: plain, sourceMap, files } = composed);
    recipeDir = path.dirname(path.resolve(input));
    name = options.name ?? path.basename(input).replace(/\.(ya?ml|json)$/i, '');
  } else {
    recipeDir = path.resolve(options.baseDir ?? process.cwd());
    ({ value: plain, sourceMap, files } = composeRecipe(structuredClone(input), { dir: recipeDir }));
    name = options.name ?? 'run';
  }
  applyOverrides(plain, options.overrides ?? [], sourceMap, { shortFormKey: (section) => shortFormKey(TrainerConfig, section) });
  await loadPlugins(plain, sourceMap, recipeDir);

  const trainerClass = pickTrainer(plain, sourceMap);
  const issues: ConfigIssue[] = [];
  const sectionKinds = trainerSectionKinds(trainerClass);
  const sectionNames = sectionKinds.map((k) => k.recipeSection as string);
  const foreign = foreignSectionIssues(trainerClass, plain, sourceMap);
  const { config, issues: topIssues } = buildConfig(trainerClass.configType as new () => TrainerConfig, plain, {
    path: '',
    sourceMap,
    ignoreKeys: [...sectionNames, ...foreign.sections, ...RECIPE_META_KEYS],
  });
  issues.push(...foreign.issues, ...topIssues);
  config.type = trainerClass.type;
  config.outputDir ??= path.join('runs', name);

  const resolvedSections: Record<string, unknown> = {};
  for (const kind of sectionKinds) {
    const section = kind.recipeSection as string;
    const allowed = allowedClasses(trainerClass, kind);
    const built = resolveSection(kind, section, plain[section], allowed, trainerClass.type, sourceMap, issues);
    (config as unknown as Record<string, unknown>)[section] = built;
    resolvedSections[section] = toPlainConfig(built);
  }
  issues.push(...wholeRecipeIssues(config, sourceMap));
  if (options.checkCheckpointFolders !== false) issues.push(...sharedFolderIssues(recipeCheckpointFolders(trainerClass, config), sourceMap));
  if (issues.length > 0) {
    // Without a type every section was checked against the default trainer's choices: say so.
    const assumed = plain.type === undefined ? ` (no top-level 'type', so trainer '${DEFAULT_TRAINER_TYPE}' was assumed; registered: ${listChoices(getRegistry('trainer').types)})` : '';
    const hinted = issues.map((issue) => withTypeSwitchHint(issue, plain, sourceMap, files));
    throw new ConfigError(inFileOrder(hinted, files, options.overrides ?? []), `Invalid recipe${assumed}`);
  }

  const resolved = { ...(toPlainConfig(config) as Record<string, unknown>), ...resolvedSections };
  for (const key of ['code', 'plugins']) if (plain[key] !== undefined && plain[key] !== null) resolved[key] = plain[key];
  return { trainerClass, config, resolved, files, recipeDir, sourceMap };
}

/**
 * Issues as a reader meets them: by file (the recipe run first, then the ones it extends, then
 * `--set`s), line and column; those with no location (a missing section) last. Validation finds
 * them section by section, in each config class's field order.
 */
function inFileOrder(issues: ConfigIssue[], files: string[], overrides: readonly string[]): ConfigIssue[] {
  const sources = [...files, ...overrides.map((o) => `--set ${o}`)];
  const rank = (issue: ConfigIssue): [number, number, number] => {
    const loc = issue.location;
    // An override's location is `--set <override>`, with no line; one outside both lists (a plugin's file) after them.
    const source = loc === undefined ? -1 : loc.line === 0 ? sources.indexOf(loc.file) : files.indexOf(path.resolve(loc.file));
    return loc === undefined ? [sources.length + 1, 0, 0] : [source === -1 ? sources.length : source, loc.line, loc.col];
  };
  const keyed = issues.map((issue) => ({ issue, key: rank(issue) }));
  keyed.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
  return keyed.map((k) => k.issue);
}

/**
 * The folder each checkpoint engine of a validated recipe writes to (absolute, against the working
 * folder like `outputDir`). Empty when the trainer has no checkpoint engines.
 */
export function recipeCheckpointFolders(trainerClass: Function, config: TrainerConfig): CheckpointFolder[] {
  const kind = getComponentKind('checkpoint');
  const checkpoint = (config as Partial<TrainerConfig>).checkpoint;
  // A mistyped outputDir (`outputDir: 123`) is already an issue of its own: no folders to compare (path.resolve threw).
  if (kind === undefined || !Array.isArray(checkpoint) || typeof config.outputDir !== 'string') return [];
  return checkpointFolders({ checkpoint, outputDir: path.resolve(config.outputDir), classes: allowedClasses(trainerClass, kind), section: kind.recipeSection });
}

function pickTrainer(plain: Record<string, unknown>, sourceMap: SourceMap): TrainerClass {
  const registry = getRegistry('trainer');
  const type = plain.type ?? DEFAULT_TRAINER_TYPE;
  const location = sourceMap.locate('type');
  if (typeof type !== 'string') {
    throw new ConfigError([{ path: 'type', message: `trainer type must be a string, got ${JSON.stringify(type)}. Registered trainers: ${listChoices(registry.types)}`, location }]);
  }
  const cls = registry.find(type);
  if (cls === undefined) {
    const assumed = plain.type === undefined ? `The recipe has no top-level 'type', so '${DEFAULT_TRAINER_TYPE}' was assumed. ` : '';
    const message = `unknown trainer type '${type}'`;
    throw new ConfigError([{ path: 'type', message, location, hint: `${assumed}Registered trainers: ${listChoices(registry.types)}.${didYouMean(type, registry.types)}` }]);
  }
  return cls as unknown as TrainerClass;
}

/** Kinds whose recipe sections this trainer has: its factory lists, plus callbacks. */
export function trainerSectionKinds(trainerClass: Function): ComponentKind[] {
  const cls = trainerClass as unknown as Record<string, unknown>;
  return allComponentKinds().filter((k) => k.recipeSection !== undefined && (k.trainerAttribute === undefined ? k.name === 'callback' : cls[k.trainerAttribute] !== undefined));
}

/**
 * Classes a trainer accepts for a kind: its list, or every registered class (callbacks). A listed
 * class whose type was re-registered with `{ override: true }` stands for its replacement, which is
 * what the run builds: the recipe is validated against that class's config.
 */
export function allowedClasses(trainerClass: Function, kind: ComponentKind): ComponentClass[] {
  const registry = getRegistry(kind.name);
  if (kind.trainerAttribute === undefined) return registry.classes;
  const listed = (normalizeFactoryList((trainerClass as unknown as Record<string, unknown>)[kind.trainerAttribute]) ?? []) as ComponentClass[];
  return listed.map((cls) => (registry.isReplaced(cls) ? (registry.find(cls.type) as ComponentClass) : cls));
}

function resolveSection(
  kind: ComponentKind,
  section: string,
  value: unknown,
  allowed: ComponentClass[],
  trainerType: string,
  sourceMap: SourceMap,
  issues: ConfigIssue[],
): ComponentConfig | ComponentConfig[] {
  // Open kinds (callbacks) take any registered type: the trainer has no say in which.
  const context = { kind, allowed, trainerType: kind.trainerAttribute === undefined ? undefined : trainerType, sourceMap, issues };
  if (kind.sectionIsList !== true) return resolveComponent(value, section, context);
  let items: unknown[];
  if (value === undefined || value === null) items = kind.name === 'callback' ? [] : [{}];
  else if (Array.isArray(value)) items = value;
  else items = [value];
  const single = !Array.isArray(value) && value !== undefined && value !== null;
  return items.map((item, i) => {
    const at = single ? section : joinPath(section, i);
    // An empty item (`- ~`, a stray `-`) is a slip, not a request for the default component.
    if (Array.isArray(value) && item === null) {
      issues.push({ path: at, message: `is empty: give a mapping with a 'type' (one of: ${listChoices(allowed.map((c) => c.type))}), or remove the item`, location: sourceMap.locate(at) });
      return new kind.baseConfig();
    }
    return resolveComponent(item, at, context);
  });
}

interface ResolveContext {
  kind: ComponentKind;
  allowed: ComponentClass[];
  trainerType?: string;
  sourceMap: SourceMap;
  issues: ConfigIssue[];
}

/** Resolves one component config: its `type` against the allowed classes, then validation. */
function resolveComponent(value: unknown, at: string, ctx: ResolveContext): ComponentConfig {
  const { kind, allowed, sourceMap, issues } = ctx;
  const raw = value === undefined || value === null ? {} : value;
  const types = allowed.map((c) => c.type);
  if (!isPlainObject(raw)) {
    // `optimizer: adamw` is the type alone, as `backend: wasm` is: say how to write it.
    const hint = typeof raw === 'string' && types.includes(raw) ? `Write { type: ${raw} }.` : undefined;
    issues.push({ path: at, message: `must be a mapping with a 'type' (one of: ${listChoices(types)}), got ${JSON.stringify(raw)}`, location: sourceMap.locate(at), ...(hint === undefined ? {} : { hint }) });
    return new kind.baseConfig();
  }
  // An absent type means the default (first allowed); an explicit null is a mistake, not a default.
  const type = raw.type === undefined ? (kind.name === 'callback' || kind.name === 'source' ? undefined : allowed[0]?.type) : raw.type;
  const typePath = joinPath(at, 'type');
  const cls = typeof type === 'string' ? allowed.find((c) => c.type === type) : undefined;
  if (cls === undefined) {
    const by = ctx.trainerType === undefined ? '' : ` by trainer '${ctx.trainerType}'`;
    const location = sourceMap.locate(raw.type === undefined ? at : typePath);
    if (type === undefined) {
      issues.push({ path: typePath, message: `missing 'type'`, location, hint: `Supported${by}: ${listChoices(types)}.` });
    } else {
      const hint = `Supported: ${listChoices(types)}.${didYouMean(String(type), types) || unlistedFactoryHint(kind, String(type), ctx.trainerType)}`;
      issues.push({ path: typePath, message: `${typePath} '${String(type)}' is not supported${by}`, location, hint });
    }
    return new kind.baseConfig();
  }
  return buildComponentConfig(cls, raw, at, sourceMap, issues);
}

/**
 * For a type that is registered but not in the trainer's list (a new factory its author forgot to
 * list): says so, with the trainers that do list it, instead of leaving it looking unregistered.
 */
function unlistedFactoryHint(kind: ComponentKind, type: string, trainerType: string | undefined): string {
  const attribute = kind.trainerAttribute;
  const cls = attribute === undefined || trainerType === undefined ? undefined : getRegistry(kind.name).find(type);
  if (attribute === undefined || cls === undefined) return '';
  const listers = getRegistry('trainer').classes.filter((t) => allowedClasses(t as unknown as Function, kind).includes(cls)).map((t) => `'${t.type}'`);
  const choose = listers.length === 0 ? '' : `choose a trainer that does (${listers.join(', ')}), or `;
  return ` '${type}' is a registered ${kind.label} (${cls.name}) that trainer '${trainerType}' does not list in ${attribute}: ${choose}list it in a trainer subclass's ${attribute}.`;
}

/** Kinds other trainers list whose sections this trainer lacks (`loss` for `causal`): a recipe may not have them, even null. */
export function foreignSectionKinds(trainerClass: Function): ComponentKind[] {
  // The trainer's own sections and settings (a setting may share a name with another kind's section).
  const configType = (trainerClass as unknown as TrainerClass).configType;
  const own = new Set([...trainerSectionKinds(trainerClass).map((k) => k.recipeSection), ...knownConfigKeys(configType)]);
  return allComponentKinds().filter((k) => k.trainerAttribute !== undefined && k.recipeSection !== undefined && !own.has(k.recipeSection));
}

/**
 * Sections of kinds this trainer does not have (`loss:` in a causal recipe): named as such, with
 * the trainers that have them, rather than as an unknown key.
 */
function foreignSectionIssues(trainerClass: TrainerClass, plain: Record<string, unknown>, sourceMap: SourceMap): { sections: string[]; issues: ConfigIssue[] } {
  const foreign = foreignSectionKinds(trainerClass).filter((k) => plain[k.recipeSection as string] !== undefined);
  const issues = foreign.map((kind): ConfigIssue => {
    const section = kind.recipeSection as string;
    const havers = getRegistry('trainer').classes.filter((t) => trainerSectionKinds(t as unknown as Function).includes(kind)).map((t) => `'${t.type}'`);
    const hint = havers.length === 0 ? `No registered trainer lists ${kind.trainerAttribute}.` : `Trainers with a '${section}' section: ${havers.join(', ')}.`;
    return { path: section, message: `trainer '${trainerClass.type}' has no '${section}' section (${pluralLabel(kind.label)}: ${kind.trainerAttribute})`, location: sourceMap.locateKey(section), hint };
  });
  return { sections: foreign.map((k) => k.recipeSection as string), issues };
}

/**
 * An unknown key of a section whose `type` was set by a later source than the key (`--set
 * model.type=layers`, or a child recipe, over a base's `hidden`) is most likely the replaced
 * type's: say how to unset it.
 */
function withTypeSwitchHint(issue: ConfigIssue, plain: Record<string, unknown>, sourceMap: SourceMap, files: string[]): ConfigIssue {
  const at = parentPath(issue.path);
  const typeAt = sourceMap.values.get(joinPath(at, 'type'));
  const section = splitPath(at).reduce<unknown>((node, part) => (node as Record<string | number, unknown> | undefined)?.[part], plain);
  const type = isPlainObject(section) ? section.type : undefined;
  if (!issue.message.startsWith('unknown key') || typeAt === undefined || issue.location === undefined || typeof type !== 'string') return issue;
  // Sources by precedence: a --set over the recipe run over the recipes it extends.
  const precedence = (loc: SourceLocation): number => (loc.line === 0 ? -1 : files.indexOf(path.resolve(loc.file)));
  if (precedence(typeAt) >= precedence(issue.location)) return issue;
  const key = issue.path.slice(at.length + 1);
  const unset = typeAt.line === 0 ? `--set ${issue.path}=null` : `'${key}: null' beside the type`;
  const hint = `The type '${type}' is set over the recipe that has '${key}' (${formatLocation(typeAt)}): if the key was for the type it replaced, unset it with ${unset}. ${issue.hint ?? ''}`;
  return { ...issue, hint: hint.trim() };
}

/** `loss factory` → `loss factories`. */
/** Validates `raw` against `cls`'s config class, resolving nested component fields first. */
function buildComponentConfig(cls: ComponentClass, raw: Record<string, unknown>, at: string, sourceMap: SourceMap, issues: ConfigIssue[]): ComponentConfig {
  const nested = componentFields(cls.configType);
  const { config, issues: own } = buildConfig(cls.configType, raw, { path: at, sourceMap, ignoreKeys: nested.map((f) => f.property) });
  issues.push(...own);
  config.type = cls.type;
  for (const field of nested) {
    const fieldKind = getComponentKind(field.kind);
    if (fieldKind === undefined) continue;
    const fieldPath = joinPath(at, field.property);
    const ctx: ResolveContext = { kind: fieldKind, allowed: getRegistry(field.kind).classes, sourceMap, issues };
    const value = raw[field.property];
    if ((value === undefined || (Array.isArray(value) && value.length === 0)) && field.required) {
      const choices = listChoices(ctx.allowed.map((c) => c.type));
      // An empty list is written in the recipe: say so, at the list, rather than 'missing'.
      const empty = Array.isArray(value);
      const message = empty
        ? `'${field.property}' is empty; list at least one ${fieldKind.label} (${choices})`
        : `missing '${field.property}' (${field.list ? 'a list of' : 'a'} ${fieldKind.label}${field.list ? 's' : ''}: ${choices})`;
      issues.push({ path: fieldPath, message, location: sourceMap.locate(empty ? fieldPath : at) });
      continue;
    }
    if (!field.list) {
      if (value !== undefined) (config as unknown as Record<string, unknown>)[field.property] = resolveComponent(value, fieldPath, ctx);
      continue;
    }
    if (value === undefined) continue;
    const items = Array.isArray(value) ? value : [value];
    (config as unknown as Record<string, unknown>)[field.property] = items.map((item, i) => resolveComponent(item, Array.isArray(value) ? joinPath(fieldPath, i) : fieldPath, ctx));
  }
  return config;
}
