import * as tf from '@tensorflow/tfjs';

/** Names listed in a message before the rest are counted. */
const MAX_LISTED = 5;

/**
 * Names of the float tensors of `tensors` holding a NaN or an infinity, in map order (one read of
 * one flag per tensor). A Floe run never saves such values: `nonFinite: stop` ends the run before
 * the next save, and `skip` leaves weights and moments as they were, so they mean a damaged or
 * hand-edited file that would otherwise load silently and give NaN metrics.
 */
export async function nonFiniteTensors(tensors: ReadonlyMap<string, tf.Tensor>): Promise<string[]> {
  const floats = [...tensors].filter(([, t]) => t.dtype === 'float32' && t.size > 0);
  if (floats.length === 0) return [];
  // One tidy per tensor: its two boolean masks are freed before the next tensor's are made (in a
  // single tidy they all lived at once, a quarter of a float32 model's size on top of it while loading).
  const perTensor = floats.map(([, t]) => tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(t)))));
  const stacked = tf.tidy(() => tf.stack(perTensor));
  tf.dispose(perTensor);
  let flags: ArrayLike<number>;
  try {
    flags = await stacked.data();
  } finally {
    stacked.dispose();
  }
  return floats.filter((_, i) => flags[i] !== 0).map(([name]) => name);
}

/** `'a', 'b' and 3 more` */
export function listNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).map((n) => `'${n}'`).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}
