import * as tf from '@tensorflow/tfjs';

/**
 * Stops the tfjs `cpu` backend from printing its "Hi, looks like you are running TensorFlow.js in
 * Node.js ... install our node backend" banner. The banner is printed on the backend instance's
 * first write, guarded by its `firstUse` field; clearing that field on the instance silences just
 * this message, unlike the global `PROD` flag, which would also hide every other tfjs warning.
 * Safe to call repeatedly; a no-op if the field ever disappears.
 */
export function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu !== null && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
}
