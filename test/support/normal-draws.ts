import { Rng } from '../../src/random';

/**
 * Calls of `Rng.prototype.normal` (every normal weight init draws through it) while `fn` runs,
 * until the promise it returns settles; the method is restored after, on failure too.
 */
export async function countNormalDraws<T>(fn: () => T | Promise<T>): Promise<{ result: T; draws: number }> {
  const original = Rng.prototype.normal;
  let draws = 0;
  Rng.prototype.normal = function (this: Rng): number {
    draws += 1;
    return original.call(this);
  };
  try {
    return { result: await fn(), draws };
  } finally {
    Rng.prototype.normal = original;
  }
}
