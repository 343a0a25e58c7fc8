import * as tf from '@tensorflow/tfjs';
import { tokenCrossEntropy } from '../model/cross-entropy-loss';

/** DPO loss variants: `sigmoid` (the paper's, with cDPO label smoothing) or `ipo` (squared, on length-averaged log-probs). */
export const DPO_LOSS_TYPES = ['sigmoid', 'ipo'] as const;

/** One of {@link DPO_LOSS_TYPES}. */
export type DpoLossType = (typeof DPO_LOSS_TYPES)[number];

/**
 * Each row's log-probability of its labels where `mask` is 1, `[rows]`: the sum over the
 * response tokens (the prompt and padding have mask 0), or their mean with `average` (IPO).
 */
export function sequenceLogps(logits: tf.Tensor3D, labels: tf.Tensor2D, mask: tf.Tensor2D, options: { average?: boolean } = {}): tf.Tensor1D {
  return tf.tidy(() => {
    const summed = tf.neg(tf.sum(tf.mul(tokenCrossEntropy(logits, labels), mask), -1));
    return (options.average === true ? tf.div(summed, tf.maximum(tf.sum(mask, -1), 1)) : summed) as tf.Tensor1D;
  });
}

/** Settings of {@link dpoLoss}. */
export interface DpoLossOptions {
  /** Strength of the KL penalty towards the reference (temperature of the implicit reward). */
  beta: number;
  /** cDPO: the probability that a pair's preference label is flipped, in [0, 0.5). */
  labelSmoothing: number;
  /** Loss variant. */
  lossType: DpoLossType;
}

/** What {@link dpoLoss} returns; the caller owns both tensors. */
export interface DpoLossResult {
  /** Mean loss over the pairs. */
  loss: tf.Scalar;
  /** `[Σ chosen reward, Σ rejected reward, pairs ranked right]` over the pairs, for exact weighted means across batches and ranks. */
  sums: tf.Tensor1D;
}

/**
 * DPO over B pairs from `[2B]` log-probs (chosen rows 0..B−1, rejected rows B..2B−1), as TRL
 * computes it: with h = (log πθ(c) − log πθ(r)) − (log πref(c) − log πref(r)), sigmoid loss
 * −(1−ε)·log σ(β·h) − ε·log σ(−β·h), IPO loss (h − 1/(2β))². Rewards are β·(log πθ − log πref).
 */
export function dpoLoss(policy: tf.Tensor1D, reference: tf.Tensor1D, options: DpoLossOptions): DpoLossResult {
  return tf.tidy(() => {
    const pairs = policy.shape[0] / 2;
    const [pc, pr] = tf.split(policy, [pairs, pairs]);
    const [rc, rr] = tf.split(reference, [pairs, pairs]);
    const h = tf.sub(tf.sub(pc, pr), tf.sub(rc, rr));
    const { beta, labelSmoothing: eps } = options;
    const perPair =
      options.lossType === 'ipo'
        ? tf.square(tf.sub(h, 1 / (2 * beta)))
        : // −log σ(z) = softplus(−z); tf.logSigmoid's custom gradient holds its input in a closure, which the frugal tape frees.
          tf.add(tf.mul(tf.softplus(tf.mul(h, -beta)), 1 - eps), tf.mul(tf.softplus(tf.mul(h, beta)), eps));
    // Only the loss is differentiated: the reward sums are figures for the log.
    const chosen = tf.mul(tf.sub(pc, rc), beta);
    const rejected = tf.mul(tf.sub(pr, rr), beta);
    const sums = tf.stack([tf.sum(chosen), tf.sum(rejected), tf.sum(tf.cast(tf.greater(chosen, rejected), 'float32'))]) as tf.Tensor1D;
    return { loss: tf.mean(perPair) as tf.Scalar, sums };
  });
}

/** Train/eval metric names of the DPO rewards, beside `loss`. */
export const DPO_REWARD_METRICS = ['rewards/chosen', 'rewards/rejected', 'rewards/accuracy', 'rewards/margin'] as const;

/** The reward metrics from summed `[chosen, rejected, correct]` over `pairs` pairs, each name after `prefix`. */
export function rewardMetrics(sums: readonly number[], pairs: number, prefix = ''): Record<string, number> {
  if (pairs === 0) return {};
  const [chosen, rejected, correct] = sums.map((s) => s / pairs);
  return { [`${prefix}rewards/chosen`]: chosen, [`${prefix}rewards/rejected`]: rejected, [`${prefix}rewards/accuracy`]: correct, [`${prefix}rewards/margin`]: chosen - rejected };
}
