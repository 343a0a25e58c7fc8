import { FloeError } from '../errors';
import { Rng } from '../random';

/** Options of {@link trainEvalSplit}. */
export interface TrainEvalSplitOptions<T = unknown> {
  /** Relative sizes of train and eval. Default `[0.95, 0.05]`. */
  ratios?: [number, number];
  /** Seed choosing which items go to eval. */
  seed: number;
  /** Keep at most this many eval items (the rest are left out of both sets). */
  evalMaxSamples?: number;
  /**
   * Content key of an item. When given, the split is over distinct keys: every copy of an item
   * lands in the same split (so eval items are never trained on, even when the data repeats),
   * and the eval set keeps one copy of each.
   */
  keyOf?: (item: T) => string;
}

/** The two sides of a split, each in the input's order. */
export interface TrainEvalSplit<T> {
  /** Items to train on. */
  train: T[];
  /** Held-out items. */
  eval: T[];
  /** Held-out items left out of both sets: beyond `evalMaxSamples`, or repeats of an eval item. */
  leftOut: number;
  /** Of `leftOut`, the repeats of an eval item (with `keyOf`). */
  repeats: number;
}

/**
 * Seeded random split. A positive eval ratio gives at least one eval item when there are two or
 * more items. Items beyond `evalMaxSamples` are dropped rather than moved to train, so the
 * training set does not change when only the eval budget does.
 */
export function trainEvalSplit<T>(items: readonly T[], options: TrainEvalSplitOptions<T>): TrainEvalSplit<T> {
  const [trainRatio, evalRatio] = options.ratios ?? [0.95, 0.05];
  if (!(trainRatio >= 0 && evalRatio >= 0 && trainRatio + evalRatio > 0)) {
    throw new FloeError(`trainEvalSplit: ratios must be two non-negative numbers with a positive sum, got [${trainRatio}, ${evalRatio}].`);
  }
  if (options.keyOf !== undefined) return splitByKey(items, options.keyOf, options);
  const n = items.length;
  let evalCount = Math.round((n * evalRatio) / (trainRatio + evalRatio));
  if (evalRatio > 0 && evalCount === 0 && n >= 2) evalCount = 1;
  if (trainRatio > 0 && evalCount === n && n >= 2) evalCount = n - 1;
  const order = new Rng(options.seed).fork('train-eval-split').shuffle(Array.from({ length: n }, (_, i) => i));
  const isEval = new Uint8Array(n);
  const kept = Math.min(evalCount, options.evalMaxSamples ?? Infinity);
  for (let i = 0; i < evalCount; i++) isEval[order[i]] = i < kept ? 1 : 2;
  const train: T[] = [];
  const evalItems: T[] = [];
  items.forEach((item, i) => {
    if (isEval[i] === 0) train.push(item);
    else if (isEval[i] === 1) evalItems.push(item);
  });
  return { train, eval: evalItems, leftOut: n - train.length - evalItems.length, repeats: 0 };
}

/** {@link trainEvalSplit} over distinct content keys (see `keyOf`). */
function splitByKey<T>(items: readonly T[], keyOf: (item: T) => string, options: TrainEvalSplitOptions<T>): TrainEvalSplit<T> {
  const first = new Map<string, number>();
  const keys = items.map((item, i) => {
    const k = keyOf(item);
    if (!first.has(k)) first.set(k, i);
    return k;
  });
  const distinct = [...first.keys()];
  const picked = trainEvalSplit(distinct, { ratios: options.ratios, seed: options.seed });
  const evalKeys = new Set(picked.eval);
  const kept = new Set(picked.eval.slice(0, options.evalMaxSamples ?? Infinity));
  const train: T[] = [];
  const evalItems: T[] = [];
  let repeats = 0;
  items.forEach((item, i) => {
    const k = keys[i];
    if (!evalKeys.has(k)) train.push(item);
    else if (kept.has(k) && first.get(k) === i) evalItems.push(item);
    else if (kept.has(k)) repeats++;
  });
  return { train, eval: evalItems, leftOut: items.length - train.length - evalItems.length, repeats };
}
