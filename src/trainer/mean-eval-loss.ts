import type { Metrics } from '../callbacks/callback';
import { checkedBatchWeight, checkedLoss } from './checked-loss';
import type { Trainer } from './trainer';
import { weightedLossSum } from './weighted-loss-sum';

/** The default `Trainer.evaluate()`: the token-weighted mean loss over the eval split, as `eval/loss`. */
export async function meanEvalLoss<B>(trainer: Trainer<B>): Promise<Metrics> {
  if (trainer.evalLoader === undefined) return {};
  const local = await weightedLossSum({
    batches: trainer.evalLoader.batches(0),
    loss: (batch: B, index: number) => checkedLoss(trainer, batch, () => `eval batch ${index + 1}`),
    weight: (batch: B) => checkedBatchWeight(trainer, batch),
    maxBatches: trainer.config.evalMaxBatches,
  });
  // Data parallel, each rank saw its shard: add up the weighted sums of every rank.
  const [sum, total] = await trainer.dp.sum([local.sum, local.weight]);
  return { 'eval/loss': sum / total };
}
