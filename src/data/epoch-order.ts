import { Rng } from '../random';

/**
 * The order in which epoch `epoch` visits `n` examples: a permutation of 0..n-1 that depends only
 * on (seed, epoch, n). A run resumed mid-epoch recomputes it and continues from its position.
 */
export function epochOrder(seed: number, epoch: number, n: number): number[] {
  const indices = Array.from({ length: n }, (_, i) => i);
  return new Rng(seed).fork(`epoch:${epoch}`).shuffle(indices);
}
