import * as tf from '@tensorflow/tfjs';
import { FloeError, TrainingError } from '../errors';
import { pluginCodeError, pluginFrameOf } from '../registry/registration-site';

/**
 * Checks of what a factory's build method returned, run once when the trainer is set up. A
 * plugin's wrong product (a schedule that is a number, a model without `params`, loaders without
 * `train`) otherwise fails steps later as a bare TypeError inside Floe, naming none of its code.
 * Each check returns the problems found, empty when the product is usable.
 */
const CHECKS: Record<string, (value: unknown) => string[]> = {
  tokenizer: (t) => [
    ...needObject(t, 'a Tokenizer'),
    ...(isObject(t) ? [...needMethods(t, ['encode', 'decode']), ...needCount(t, 'vocabSize', 1), ...specialIdProblems(t)] : []),
  ],
  data: (d) => {
    if (!isObject(d) || Array.isArray(d) || d instanceof Promise) return [`returned ${describe(d)}; it must return { train: DataLoader, eval?: DataLoader }`];
    if (d.train === undefined) return ['returned no train loader; it must return { train: DataLoader, eval?: DataLoader }'];
    return [...loaderProblems(d.train, 'train'), ...(d.eval === undefined ? [] : loaderProblems(d.eval, 'eval'))];
  },
  model: (m) => {
    if (!isObject(m) || m instanceof Promise) return [`returned ${describe(m)}; it must return a FloeModel ({ params: Map<string, tf.Variable>, parameterCount(), dispose() })`];
    const problems = needMethods(m, ['parameterCount', 'dispose']);
    if (!(m.params instanceof Map)) return [`params is ${describe(m.params)}; it must be a Map from weight name to tf.Variable`, ...problems];
    if (m.params.size === 0) problems.push('params is empty: the model has no trainable weights');
    for (const [name, v] of m.params) {
      if (!(v instanceof tf.Variable)) problems.push(`params '${name}' is ${v instanceof tf.Tensor ? 'a tf.Tensor, not a tf.Variable: wrap it, tf.variable(tensor, true, name)' : describe(v)}`);
    }
    return problems;
  },
  optimizer: (o) => [...needObject(o, 'a ParamOptimizer'), ...(isObject(o) ? needMethods(o, ['applyGradients', 'getState', 'setState']) : [])],
  scheduler: (s) => {
    if (typeof s !== 'function') return [`returned ${describe(s)}; it must return the schedule itself, a function (step) => lr`];
    let lr: unknown;
    try {
      lr = s(0);
    } catch (error) {
      return [`its schedule threw for step 0${pluginFrameOf(error)}: ${error instanceof Error ? error.message : String(error)}`];
    }
    return typeof lr === 'number' && Number.isFinite(lr) && lr >= 0 ? [] : [`its schedule returned ${describe(lr)} for step 0; it must return a finite learning rate ≥ 0`];
  },
};

/** Build method of each kind, for messages. */
const BUILD_METHOD: Record<string, string> = {
  tokenizer: 'createTokenizer()',
  data: 'createDataLoaders()',
  model: 'createModel()',
  optimizer: 'createOptimizer()',
  scheduler: 'createSchedule()',
};

/**
 * Throws a {@link TrainingError} naming the factory (`scheduler 'step-lr' (StepSchedulerFactory)`),
 * its build method and every problem when `product` is not what a `kind` factory must build.
 */
export function checkProduct(kind: string, factory: object, product: unknown): void {
  const problems = CHECKS[kind]?.(product) ?? [];
  if (problems.length === 0) return;
  const who = describeFactory(kind, factory);
  const method = BUILD_METHOD[kind] ?? 'its build method';
  throw new TrainingError(`${who}: what ${method} built is not usable:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/**
 * Runs a factory's async build method (`createTokenizer`, `createDataLoaders`, `createModel`) and
 * checks its product; an error it throws that is not Floe's own names the factory, the method
 * and the plugin line (`data 'xy-file' (XYFileDataFactory): createDataLoaders() failed at
 * plugin.js:86:12: ENOENT ...`).
 */
export async function buildProduct<T>(kind: string, factory: object, build: () => Promise<T>): Promise<T> {
  let product: T;
  try {
    product = await build();
  } catch (error) {
    throw buildError(kind, factory, error);
  }
  checkProduct(kind, factory, product);
  return product;
}

/** {@link buildProduct} for the build methods Floe calls without await (`createOptimizer`, `createSchedule`). */
export function buildProductSync<T>(kind: string, factory: object, build: () => T): T {
  let product: T;
  try {
    product = build();
  } catch (error) {
    throw buildError(kind, factory, error);
  }
  checkProduct(kind, factory, product);
  return product;
}

/**
 * The schedule a scheduler factory built, checked at every step: a plugin's schedule that turns
 * negative or NaN mid-run (a decay past its own horizon) would otherwise fail inside the optimizer
 * as a bare 'Learning rate must be ...', naming neither the scheduler nor the step.
 */
export function checkedSchedule(factory: object, schedule: (step: number) => number): (step: number) => number {
  return (step) => {
    let lr: unknown;
    try {
      lr = schedule(step);
    } catch (error) {
      if (error instanceof FloeError) throw error;
      throw pluginCodeError(`${describeFactory('scheduler', factory)}: its schedule threw for step ${step} (optimizer step ${step + 1})${pluginFrameOf(error)}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (typeof lr === 'number' && Number.isFinite(lr) && lr >= 0) return lr;
    throw new TrainingError(`${describeFactory('scheduler', factory)}: its schedule returned ${describe(lr)} for step ${step} (optimizer step ${step + 1}); it must return a finite learning rate ≥ 0`);
  };
}

function buildError(kind: string, factory: object, error: unknown): unknown {
  if (error instanceof FloeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return pluginCodeError(`${describeFactory(kind, factory)}: ${BUILD_METHOD[kind] ?? 'its build method'} failed${pluginFrameOf(error)}: ${message}`, error);
}

/** `scheduler 'step-lr' (StepLrFactory)`: a built factory, for messages. */
export function describeFactory(kind: string, factory: object): string {
  const type = (factory.constructor as { type?: unknown }).type;
  return `${kind} ${typeof type === 'string' ? `'${type}' ` : ''}(${factory.constructor.name})`;
}

function loaderProblems(loader: unknown, split: string): string[] {
  if (!isObject(loader)) return [`${split} is ${describe(loader)}; it must be a DataLoader ({ length, numExamples, batches(epoch, start) })`];
  const problems = needMethods(loader, ['batches']).map((p) => `${split}.${p}`);
  for (const field of ['length', 'numExamples']) {
    const v = loader[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`${split}.${field} is ${describe(v)}; it must be a whole number ≥ 0`);
  }
  return problems;
}

function needObject(value: unknown, what: string): string[] {
  return isObject(value) && !(value instanceof Promise) ? [] : [`returned ${describe(value)}; it must return ${what}`];
}

function needMethods(value: Record<string, unknown>, names: string[]): string[] {
  return names.filter((n) => typeof value[n] !== 'function').map((n) => `${n}() is missing (${describe(value[n])})`);
}

function needCount(value: Record<string, unknown>, field: string, min: number): string[] {
  const v = value[field];
  return typeof v === 'number' && Number.isInteger(v) && v >= min ? [] : [`${field} is ${describe(v)}; it must be a whole number ≥ ${min}`];
}

/** The special ids are ordinary ids: each must be a whole number in `[0, vocabSize)` (was a GatherV2 error in loss()). */
function specialIdProblems(t: Record<string, unknown>): string[] {
  const vocab = t.vocabSize;
  if (typeof vocab !== 'number' || !Number.isInteger(vocab) || vocab < 1) return [];
  return ['bosId', 'eosId', 'padId']
    .filter((field) => !(typeof t[field] === 'number' && Number.isInteger(t[field]) && (t[field] as number) >= 0 && (t[field] as number) < vocab))
    .map((field) => `${field} is ${describe(t[field])}; it must be a whole number in [0, ${vocab}) (vocabSize ${vocab}: special ids are ids of the vocabulary)`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (value instanceof Promise) return 'a Promise (await it, or drop async)';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return `an object (${(value as object).constructor?.name ?? 'Object'})`;
}
