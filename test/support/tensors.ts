import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';

/**
 * Runs `fn` and asserts it left no new tensors behind (tfjs memory discipline).
 * Works for sync and async functions.
 */
export async function expectNoLeak<T>(fn: () => T | Promise<T>, label = 'operation'): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  assert.equal(after, before, `${label} leaked ${after - before} tensor(s)`);
  return result;
}

/** Max absolute difference between two equally-sized arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Asserts two arrays agree elementwise within `tol` (absolute). */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label = 'values'): void {
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= tol, `${label}: max abs diff ${d} > ${tol}`);
}
