import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import type { ModelAdapter } from '../model/floe-model';
import { matchesAny } from '../optim/decay-filter';
import { listSome, unmatchedPatternIssues } from '../optim/unmatched-patterns';
import { splitStateKey, STEP_KEY } from '../optim/named-state-optimizer';

/** Names listed in a message before the rest are counted. */
const MAX_LISTED = 12;

/** `a, b, c`, or the first {@link MAX_LISTED} and a count. */
function listNames(names: readonly string[]): string {
  return listSome(names, MAX_LISTED);
}

function scalarCount(params: ReadonlyMap<string, tf.Variable>): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

/** What {@link FrozenParams.fitOptimizerState} returns. */
export interface FittedOptimizerState {
  /** The entries to load: the saved ones less those of frozen parameters (the same tensors, still the caller's). */
  state: Map<string, tf.Tensor>;
  /** What was dropped and what starts fresh, for the log; undefined when neither. */
  note?: string;
}

/**
 * The model's parameters split by the recipe's `freeze:` patterns (globs over whole weight names,
 * matched as `optimizer.noDecay` is). Training computes gradients for, updates and keeps optimizer
 * state of `trainable` only; `frozen` keep their values (and are still saved with every checkpoint).
 */
export class FrozenParams {
  private constructor(
    /** The parameters training updates, in the model's order. */
    readonly trainable: Map<string, tf.Variable>,
    /** The parameters `freeze` matches (and, with adapters, every non-adapter one), in the model's order. */
    readonly frozen: Map<string, tf.Variable>,
    private readonly adapter?: ModelAdapter,
  ) {}

  /**
   * Splits `params` by `patterns`. Throws a {@link ConfigError} at `freeze[i]` for a pattern that
   * matches no parameter (listing them, or suggesting a close name) and at `freeze` when every
   * parameter is frozen (nothing would train). With a model `adapter` (LoRA) every parameter but
   * the adapter's is frozen too, and the patterns freeze more on top.
   */
  static resolve(params: Map<string, tf.Variable>, patterns: readonly string[], adapter?: ModelAdapter): FrozenParams {
    const names = [...params.keys()];
    const issues = unmatchedPatternIssues(patterns, names, { path: 'freeze', noun: 'parameter', label: 'Patterns', maxListed: MAX_LISTED });
    if (issues.length > 0) throw new ConfigError(issues);
    const adapted = adapter === undefined ? undefined : new Set(adapter.paramNames);
    const frozen = new Map([...params].filter(([name]) => (adapted !== undefined && !adapted.has(name)) || matchesAny(name, patterns)));
    const trainable = new Map([...params].filter(([name]) => !frozen.has(name)));
    if (trainable.size === 0 && adapted !== undefined && adapted.size > 0) {
      throw new ConfigError([
        {
          path: 'freeze',
          message: `matches every LoRA parameter (${listNames([...adapted])}); with model.lora only those train, so training would change nothing: leave at least one out of the patterns`,
        },
      ]);
    }
    if (trainable.size === 0 && params.size > 0) {
      throw new ConfigError([
        {
          path: 'freeze',
          message: `matches every parameter of the model (${params.size}: ${listNames(names)}), so training would change nothing; leave at least one parameter out of the patterns`,
        },
      ]);
    }
    return new FrozenParams(trainable, frozen, adapter);
  }

  /** One log line: trainable and frozen scalar counts, and the frozen names; undefined when nothing is frozen. */
  summary(): string | undefined {
    if (this.frozen.size === 0) return undefined;
    const trainable = scalarCount(this.trainable);
    const frozen = scalarCount(this.frozen);
    const en = (n: number): string => n.toLocaleString('en-US');
    const weights = `${this.frozen.size} weight${this.frozen.size === 1 ? '' : 's'}`;
    const counts = `${en(trainable)} parameters trainable, ${en(frozen)} frozen (${weights}): ${listNames([...this.frozen.keys()])}`;
    if (this.adapter !== undefined) return `${this.adapter.describe()}; every other weight is frozen (freeze: patterns apply on top): ${counts}`;
    return `freeze: ${counts}`;
  }

  /**
   * A checkpoint's optimizer state (`<name>/<slot>`, `<name>/step`, `step`) fitted to this freeze
   * list, for a resume whose `freeze:` changed: the entries of parameters frozen now are dropped (a
   * frozen parameter keeps no state), and trainable parameters with none, while others have slots,
   * will start with fresh state. Returns the entries to load (the caller still owns every tensor)
   * and a note naming both, undefined when neither happened.
   */
  fitOptimizerState(state: ReadonlyMap<string, tf.Tensor>): FittedOptimizerState {
    const kept = new Map<string, tf.Tensor>();
    const dropped = new Set<string>();
    const saved = new Set<string>();
    let hasSlots = false;
    for (const [key, t] of state) {
      const parts = splitStateKey(key);
      const name = parts?.name;
      if (parts !== undefined && parts.slot !== STEP_KEY) hasSlots = true;
      if (name !== undefined && this.frozen.has(name)) {
        dropped.add(name);
        continue;
      }
      if (name !== undefined) saved.add(name);
      kept.set(key, t);
    }
    // An optimizer without slots (SGD without momentum) saves nothing per parameter: nothing is missing.
    const fresh = hasSlots ? [...this.trainable.keys()].filter((name) => !saved.has(name)) : [];
    const parts: string[] = [];
    if (dropped.size > 0) parts.push(`the saved state of ${plural(dropped.size, 'parameter')} frozen now is dropped (${listNames([...this.frozen.keys()].filter((name) => dropped.has(name)))})`);
    if (fresh.length > 0) parts.push(`${plural(fresh.length, 'trainable parameter')} without saved state (frozen in the checkpoint's run, or never updated) start with fresh optimizer state (${listNames(fresh)})`);
    return { state: kept, note: parts.length === 0 ? undefined : `resume: optimizer state fitted to freeze: ${parts.join('; ')}` };
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
