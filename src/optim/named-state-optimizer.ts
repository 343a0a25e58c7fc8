import * as tf from '@tensorflow/tfjs';
import { CheckpointError, TrainingError } from '../errors';
import { DecayFilter, defaultDecayFilter } from './decay-filter';
import { OptimizerStateError } from './optimizer-state-error';
import { ApplyGradientsOptions, ParamOptimizer, SetStateOptions } from './param-optimizer';

/** What a subclass sees when updating one variable. */
export interface ParamUpdate {
  /** Variable name (state key prefix). */
  name: string;
  /** The variable to update in place with `assign`. */
  param: tf.Variable;
  /** Its gradient (owned by the caller; do not dispose). */
  grad: tf.Tensor;
  /** This step's learning rate. */
  lr: number;
  /** 1-based count of updates of THIS variable, for bias correction (PyTorch keeps it per param). */
  step: number;
  /** Whether weight decay applies to this variable (from the decay filter). */
  decay: boolean;
  /** Current state slots by slot name (`m`, `v`, `momentum`); missing on the variable's first update. */
  slots: ReadonlyMap<string, tf.Tensor>;
}

/** Key of the global step counter in `getState` maps. */
export const STEP_KEY = 'step';

/** A state key `<name>/<slot>` taken apart by {@link splitStateKey}. */
export interface StateKeyParts {
  /** The parameter's name (everything before the last `/`). */
  name: string;
  /** The slot (`m`, `v`, `momentum`) or {@link STEP_KEY} for the parameter's own step count. */
  slot: string;
}

/**
 * The parameter and slot of a state key `<name>/<slot>` (also `<name>/step`); undefined for the
 * global {@link STEP_KEY} and for a key without a name before its last `/`.
 */
export function splitStateKey(key: string): StateKeyParts | undefined {
  const cut = key.lastIndexOf('/');
  return key === STEP_KEY || cut <= 0 ? undefined : { name: key.slice(0, cut), slot: key.slice(cut + 1) };
}

/** Problems listed in an `OptimizerStateError` before the rest are counted. */
const MAX_LISTED_PROBLEMS = 10;

/**
 * Shared bookkeeping for optimizers whose state is stored by variable name: the step counters,
 * slot replacement with disposal, `getState`/`setState` and leak-free updates. Subclasses write
 * only the per-variable math.
 *
 * Each variable also keeps its own update count (PyTorch semantics: a variable that first gets a
 * gradient at global step 1000 starts Adam's bias correction at 1). `getState` writes it as
 * `${name}/step` only where it differs from the global `step`, so the common case stays the plain
 * `<name>/m`, `<name>/v`, `step` layout.
 */
export abstract class NamedStateOptimizer implements ParamOptimizer {
  /** Slot names this optimizer keeps per variable, e.g. `['m', 'v']`. */
  protected abstract readonly slotNames: readonly string[];

  /** Slots that can never hold a negative value (Adam's `v`, a mean of squares); `setState` refuses one that does. */
  protected readonly nonNegativeSlots: readonly string[] = [];

  /** Decides which variables get weight decay. */
  protected readonly decayFilter: DecayFilter;

  private step = 0;
  private readonly paramSteps = new Map<string, number>();
  private readonly slots = new Map<string, Map<string, tf.Tensor>>();

  protected constructor(decayFilter: DecayFilter | undefined) {
    this.decayFilter = decayFilter ?? defaultDecayFilter;
  }

  /** Honours `gradScale`: the fused update folds it in, the per-variable path multiplies first. */
  readonly acceptsGradScale = true;

  /** Number of `applyGradients` calls so far. */
  get stepCount(): number {
    return this.step;
  }

  /**
   * Computes one variable's update: assigns the new value to `u.param` and returns the new slot
   * tensors by slot name. Runs inside `tf.tidy`; returned tensors are kept, the old ones disposed.
   */
  protected abstract update(u: ParamUpdate): Record<string, tf.Tensor>;

  /** See {@link ParamOptimizer.applyGradients}. */
  applyGradients(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number, options: ApplyGradientsOptions = {}): void {
    if (!Number.isFinite(lr) || lr < 0) throw new TrainingError(`Learning rate must be a finite number >= 0, got ${lr}.`);
    // Check everything before mutating anything, so a bad call leaves params and state untouched.
    for (const [name, grad] of grads) {
      const param = params.get(name);
      if (param === undefined) throw unmatchedGradientError(name, params);
      this.checkShape(name, param.shape, grad.shape, 'gradient');
      const slots = this.slots.get(name);
      if (slots !== undefined) for (const [slot, t] of slots) this.checkShape(name, param.shape, t.shape, `state '${slot}'`);
    }
    this.step += 1;
    const updates: ParamUpdate[] = [...grads].map(([name, grad]) => ({
      name,
      param: params.get(name) as tf.Variable,
      grad,
      lr,
      step: (this.paramSteps.get(name) ?? 0) + 1,
      decay: this.decayFilter(name),
      slots: this.slots.get(name) ?? new Map<string, tf.Tensor>(),
    }));
    const scale = options.gradScale;
    const batched = tf.tidy(() => this.updateAll(updates, scale));
    updates.forEach((u, i) => {
      const next = batched?.[i] ?? tf.tidy(() => this.update(scale === undefined ? u : { ...u, grad: tf.mul(u.grad, scale) }));
      for (const t of u.slots.values()) t.dispose();
      this.slots.set(u.name, new Map(Object.entries(next)));
      this.paramSteps.set(u.name, u.step);
    });
  }

  /**
   * Updates every variable of a step at once (e.g. in one native call): assigns each new value and
   * returns each variable's new slots, in the order of `updates`, with every gradient multiplied
   * by `gradScale` first when given. Returns `undefined` (the default) to have {@link update} take
   * the variables one by one. Runs inside `tf.tidy`; the returned tensors are kept, the old slots
   * disposed.
   */
  protected updateAll(updates: readonly ParamUpdate[], gradScale: tf.Scalar | undefined): Array<Record<string, tf.Tensor>> | undefined {
    void updates;
    void gradScale;
    return undefined;
  }

  /** See {@link ParamOptimizer.getState}. The caller owns (and must dispose) every returned tensor. */
  getState(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    out.set(STEP_KEY, tf.scalar(this.step, 'int32'));
    for (const [name, slots] of this.slots) {
      // tf.clone shares the data buffer: cheap, bit-exact, and independent of later disposal.
      for (const [slot, t] of slots) out.set(`${name}/${slot}`, tf.clone(t));
      const own = this.paramSteps.get(name) ?? 0;
      if (own !== this.step) out.set(`${name}/${STEP_KEY}`, tf.scalar(own, 'int32'));
    }
    return out;
  }

  /**
   * See {@link ParamOptimizer.setState}. Throws `CheckpointError` on unknown keys or a missing
   * `step`, and {@link OptimizerStateError} on a variable with only some of the slots, with its
   * own step count but none of the slots, or a slot of another shape than its variable in
   * `options.params`. A variable with no state at all (never updated, or a state saved before the
   * first step) starts fresh.
   */
  setState(state: Map<string, tf.Tensor>, options: SetStateOptions = {}): void {
    const stepTensor = state.get(STEP_KEY);
    if (stepTensor === undefined) throw new CheckpointError(`Optimizer state has no '${STEP_KEY}' entry.`);
    const slots = new Map<string, Map<string, tf.Tensor>>();
    const ownSteps = new Map<string, tf.Tensor>();
    for (const [key, t] of state) {
      if (key === STEP_KEY) continue;
      const parts = splitStateKey(key);
      if (parts === undefined || (parts.slot !== STEP_KEY && !this.slotNames.includes(parts.slot))) {
        throw new CheckpointError(`Unknown optimizer state key '${key}'. Expected 'step', '<name>/step' or '<name>/<slot>' with slot one of: ${this.slotNames.join(', ') || '(none)'}.`);
      }
      const { name, slot } = parts;
      if (slot === STEP_KEY) ownSteps.set(name, t);
      else {
        if (!slots.has(name)) slots.set(name, new Map());
        slots.get(name)?.set(slot, t);
      }
    }
    // A synchronous read, once per restore (not per step), of a few int scalars.
    const step = readInt(stepTensor);
    const steps = new Map([...ownSteps].map(([name, t]) => [name, readInt(t)]));
    this.checkSlots(slots, { step, steps }, options.params);
    // Clone before disposing our own tensors, so passing in tensors that alias ours stays safe.
    const cloned = new Map([...slots].map(([name, m]) => [name, new Map([...m].map(([slot, t]) => [slot, tf.clone(t)]))]));
    this.dispose();
    this.step = step;
    for (const [name, m] of cloned) {
      this.slots.set(name, m);
      this.paramSteps.set(name, steps.get(name) ?? step);
    }
    for (const [name, n] of steps) {
      this.paramSteps.set(name, n);
      // A count without slots (SGD without momentum): keep the variable, so getState writes it again.
      if (!this.slots.has(name)) this.slots.set(name, new Map());
    }
  }

  /** See {@link ParamOptimizer.dispose}. */
  dispose(): void {
    for (const m of this.slots.values()) for (const t of m.values()) t.dispose();
    this.slots.clear();
    this.paramSteps.clear();
    this.step = 0;
  }

  /**
   * Every variable with state must have all of `slotNames`, each of its variable's shape:
   * updates write them together, so anything else is a damaged or hand-edited state. That holds
   * for a variable with only its own step count too: `getState` writes `<name>/step` only beside
   * its slots, so a count without them means the slots were lost (with no slots kept at all, as
   * for SGD without momentum, the count alone is the whole state). A variable never updated has
   * neither, and starts fresh.
   */
  private checkSlots(
    slots: ReadonlyMap<string, ReadonlyMap<string, tf.Tensor>>,
    counts: { step: number; steps: ReadonlyMap<string, number> },
    params: ReadonlyMap<string, tf.Tensor> | undefined,
  ): void {
    const problems: string[] = [];
    // Counts: each update adds one to `step` and at most one to each variable's own count.
    if (!Number.isSafeInteger(counts.step) || counts.step < 0) problems.push(`'${STEP_KEY}' is ${counts.step}, expected an integer >= 0`);
    for (const [name, n] of counts.steps) {
      if (!Number.isSafeInteger(n) || n < 1 || n > counts.step) problems.push(`'${name}/${STEP_KEY}' is ${n}, expected an integer from 1 to '${STEP_KEY}' (${counts.step})`);
      else if (this.slotNames.length > 0 && !slots.has(name)) problems.push(`parameter '${name}' has its own step count '${name}/${STEP_KEY}' but none of ${quoteList('its slot', this.slotNames)}`);
    }
    problems.push(...this.negativeSlotProblems(slots));
    for (const [name, m] of slots) {
      const missing = this.slotNames.filter((slot) => !m.has(slot));
      if (missing.length > 0) problems.push(`parameter '${name}' has ${quoteList('slot', [...m.keys()])} but is missing ${quoteList('', missing)}`);
      for (const [slot, t] of m) if (t.dtype !== 'float32') problems.push(`slot '${slot}' of parameter '${name}' is ${t.dtype}, expected float32`);
      const param = params?.get(name);
      if (param === undefined) continue;
      for (const [slot, t] of m) {
        if (!sameShape(t.shape, param.shape)) problems.push(`slot '${slot}' of parameter '${name}' has shape [${t.shape.join(', ')}], expected the parameter's [${param.shape.join(', ')}]`);
      }
    }
    if (problems.length === 0) return;
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
    if (problems.length > MAX_LISTED_PROBLEMS) listed.push(`and ${problems.length - MAX_LISTED_PROBLEMS} more`);
    const head = problems.length === 1 ? 'Optimizer state is inconsistent' : `Optimizer state is inconsistent (${problems.length} problems)`;
    const keeps = `This optimizer keeps ${quoteList('slot', this.slotNames)}, each of its parameter's shape, for every parameter it has updated.`;
    throw new OptimizerStateError(`${head}: ${listed.join('; ')}. ${keeps}`);
  }

  /** One problem per slot of {@link nonNegativeSlots} holding a negative value (one read for all of them). */
  private negativeSlotProblems(slots: ReadonlyMap<string, ReadonlyMap<string, tf.Tensor>>): string[] {
    const checked = [...slots].flatMap(([name, m]) =>
      this.nonNegativeSlots.flatMap((slot) => {
        const t = m.get(slot);
        return t === undefined || t.size === 0 || t.dtype !== 'float32' ? [] : [{ name, slot, t }];
      }),
    );
    if (checked.length === 0) return [];
    // setState is synchronous (the optimizer interface); this runs once per load, not per step.
    const flags = tf.tidy(() => tf.stack(checked.map((c) => tf.any(tf.less(c.t, 0)))).dataSync());
    return checked.filter((_, i) => flags[i] !== 0).map((c) => `slot '${c.slot}' of parameter '${c.name}' has negative values, which it never holds`);
  }

  private checkShape(name: string, want: number[], got: number[], what: string): void {
    if (!sameShape(got, want)) {
      throw new TrainingError(`Shape of ${what} for '${name}' is [${got.join(', ')}], expected the parameter's [${want.join(', ')}].`);
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `slot 'm'`, `slots 'm', 'v'`; with an empty noun just the quoted names. */
function quoteList(noun: string, names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`).join(', ');
  if (noun === '') return quoted;
  return `${noun}${names.length === 1 ? '' : 's'} ${quoted}`;
}

function readInt(t: tf.Tensor): number {
  if (t.size !== 1) throw new CheckpointError(`Optimizer step counter must be a scalar, got shape [${t.shape.join(', ')}].`);
  const value = t.arraySync() as unknown;
  // Exact: a fractional count (a float tensor) is refused by the caller, not rounded.
  return Number(Array.isArray(value) ? value.flat(Infinity)[0] : value);
}

/**
 * A gradient keyed by something no parameter is called. tfjs keys gradients by `tf.Variable.name`
 * (often an auto-numbered '34'), not by the parameter's name: say which parameter that is and how
 * to key them, since a step of one's own written with `tf.variableGrads` runs into exactly this.
 */
function unmatchedGradientError(key: string, params: Map<string, tf.Variable>): TrainingError {
  const byVariableName = [...params].find(([, v]) => v.name === key)?.[0];
  const hint =
    byVariableName === undefined
      ? ''
      : ` '${key}' is the tf.Variable name of parameter '${byVariableName}': gradients are keyed by parameter name (the keys of model.params), ` +
        'as microBatchGradients(loss, params, weight) returns them; tf.variableGrads and frugalVariableGrads key them by tf.Variable.name.';
  return new TrainingError(`Gradient '${key}' has no matching parameter.${hint} Parameters: ${[...params.keys()].join(', ')}.`);
}
