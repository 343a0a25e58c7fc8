import { ConfigError } from '../errors';

/**
 * A warning when the train/eval split came out unlike what `trainEvalSplit` asked for: no eval
 * items though eval was asked for (too few distinct items), or a far larger eval share (a
 * positive eval ratio keeps at least one item). `byContent`: the split was over distinct items.
 * Undefined when the split is as asked.
 */
export function splitNote(ratios: readonly [number, number], counts: { items: number; eval: number; noun: string; byContent?: boolean }): string | undefined {
  const [trainRatio, evalRatio] = ratios;
  const { items, noun } = counts;
  const asked = `trainEvalSplit [${trainRatio}, ${evalRatio}]`;
  if (evalRatio > 0 && counts.eval === 0) {
    const repeats = counts.byContent === true ? ` (identical ${noun} count once)` : '';
    const count = items === 1 ? `1 ${noun.replace(/s$/, '')}${repeats} is` : `${items} ${noun}${repeats} are`;
    return `the eval split is empty: ${count} too few to hold any out with ${asked}, so no evaluation runs`;
  }
  const share = counts.eval / items;
  const askedShare = evalRatio / (trainRatio + evalRatio);
  if (counts.eval > 0 && share >= 0.2 && share > 2 * askedShare) {
    return `the eval split holds out ${counts.eval} of ${items} ${noun} (${Math.round(share * 100)}%), more than ${asked} asks: a positive eval ratio keeps at least one`;
  }
  return undefined;
}

/**
 * A recipe error at `data.dropLast` when the train split is smaller than one batch and dropLast
 * drops that partial batch, so nothing would train; undefined otherwise.
 */
export function dropLastProblem(options: { trainCount: number; noun: string; batchSize: number; dropLast: boolean }): ConfigError | undefined {
  const { trainCount, noun, batchSize, dropLast } = options;
  if (!dropLast || trainCount === 0 || trainCount >= batchSize) return undefined;
  return new ConfigError([
    {
      path: 'data.dropLast',
      message: `the train split has ${trainCount} ${trainCount === 1 ? noun.replace(/s$/, '') : noun}, fewer than one batch (microBatchSize ${batchSize}), and dropLast: true drops a partial batch, so nothing would train. Set dropLast: false, lower microBatchSize, or add data`,
    },
  ]);
}

/**
 * What the run log says when held-out items went to neither split (beyond `evalMaxSamples`, or
 * repeats of an eval item); undefined when none did.
 */
export function leftOutNote(options: { leftOut: number; repeats: number; noun: string; evalMaxSamples?: number }): string | undefined {
  const { leftOut, repeats, noun, evalMaxSamples } = options;
  if (leftOut === 0) return undefined;
  const count = (n: number): string => `${n} ${n === 1 ? noun.replace(/s$/, '') : noun}`;
  const parts: string[] = [];
  const capped = leftOut - repeats;
  if (capped > 0) parts.push(`${count(capped)} held out beyond evalMaxSamples ${evalMaxSamples} (kept out of training too, so the train split does not depend on the eval budget)`);
  if (repeats > 0) parts.push(`${repeats} ${repeats === 1 ? 'repeat' : 'repeats'} of eval ${noun} (an eval record is evaluated once and never trained on)`);
  return `left out of both splits: ${parts.join('; ')}`;
}
