import { isPlainObject } from '../config/compose';
import { isAtOrUnder, joinPath } from '../config/config-path';

/** One setting that differs between a checkpoint's `recipe.yaml` and the recipe resuming from it. */
export interface RecipeChange {
  /** Config path, e.g. `optimizer.lr` or `data.sources[0].count`. */
  path: string;
  /** The value in the checkpoint's recipe.yaml (undefined when unset). */
  saved: unknown;
  /** The value in the resuming recipe (undefined when unset). */
  current: unknown;
}

/**
 * Settings a resumed run may change without a warning (a path covers everything under it): where
 * the run writes and what it reports, how long it runs, evaluation, checkpoints and callbacks,
 * the failure guard, the backend and the launcher (the rank count is checked on its own, through
 * the global batch), activation checkpointing (bit-identical steps, less memory: a resume is where
 * it is turned on), and the cache and held-out prompts, which do not change the training examples.
 */
export const RESUME_EXEMPT_SETTINGS: readonly string[] = [
  'outputDir',
  'overwriteOutputDir',
  'description',
  'epochs',
  'trainIters',
  'exitIteration',
  'logInterval',
  'quiet',
  'progress',
  'metricsLog',
  'tensorboard',
  'status',
  'statusInterval',
  'report',
  'handleSignals',
  'killSwitchFile',
  'evalInterval',
  'evalAtEnd',
  'evalMaxBatches',
  'nonFinite',
  'nonFiniteSkipLimit',
  'checkpoint',
  'callbacks',
  'backend',
  'distributed',
  'model.activationCheckpointing',
  'data.cache',
  'data.cacheDir',
  'data.evalGenerations',
];

function isExempt(path: string, exempt: readonly string[]): boolean {
  return exempt.some((e) => isAtOrUnder(path, e));
}

/** null and undefined both mean unset (YAML writes one, plain objects may hold the other). */
function unset(x: unknown): unknown {
  return x === null ? undefined : x;
}

function walk(path: string, saved: unknown, current: unknown, exempt: readonly string[], out: RecipeChange[]): void {
  if (path !== '' && isExempt(path, exempt)) return;
  const [a, b] = [unset(saved), unset(current)];
  if (isPlainObject(a) && isPlainObject(b)) {
    // A new component type brings its own fields: report the type, and compare only the fields both have.
    const typeChanged = a.type !== b.type;
    if (typeChanged) walk(joinPath(path, 'type'), a.type, b.type, exempt, out);
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
      if (key === 'type' || (typeChanged && (unset(a[key]) === undefined || unset(b[key]) === undefined))) continue;
      walk(joinPath(path, key), a[key], b[key], exempt, out);
    }
    return;
  }
  // Lists of sections (data sources) are compared entry by entry; lists of values as one value.
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].some((x) => typeof x === 'object' && x !== null)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(joinPath(path, i), a[i], b[i], exempt, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, saved: a, current: b });
}

/**
 * The settings of `current` (the resuming run's resolved recipe) that differ from `saved` (the
 * checkpoint's `recipe.yaml`), in recipe order, leaving out `exempt` paths.
 */
export function diffRecipes(saved: Record<string, unknown>, current: Record<string, unknown>, exempt: readonly string[] = RESUME_EXEMPT_SETTINGS): RecipeChange[] {
  const out: RecipeChange[] = [];
  walk('', saved, current, exempt, out);
  return out;
}

/** A recipe value for a message: `0.01`, `adamw`, `[64, 64]`, `(unset)`; long values cut at 60 characters. */
export function formatRecipeValue(x: unknown): string {
  if (x === undefined || x === null) return '(unset)';
  if (typeof x === 'string') return x === '' ? '""' : x;
  const text = Array.isArray(x) && x.every((v) => typeof v !== 'object' || v === null) ? `[${x.map(formatRecipeValue).join(', ')}]` : JSON.stringify(x);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** `optimizer.lr: 0.01 → 0.02` */
export function formatRecipeChange(change: RecipeChange): string {
  return `${change.path}: ${formatRecipeValue(change.saved)} → ${formatRecipeValue(change.current)}`;
}
