import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { ADAM_UPDATE_KERNEL, syncFusedKernels } from '../../../src/backend/native';
import { canFuseAdamUpdate } from '../../../src/optim/adam-update';

/** Runs `fn` with the fused Adam kernel unregistered (every other native kernel stays), then registers it again. */
export async function withoutFusedAdam<T>(fn: () => T | Promise<T>): Promise<T> {
  tf.unregisterKernel(ADAM_UPDATE_KERNEL, 'wasm');
  try {
    assert.equal(canFuseAdamUpdate(), false);
    return await fn();
  } finally {
    syncFusedKernels();
  }
}

/** Runs `fn` counting the calls of the fused Adam kernel, so a test knows the fused path really ran. */
export async function countingFusedAdamCalls<T>(fn: () => T | Promise<T>): Promise<{ result: T; calls: number }> {
  const config = tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm');
  assert.ok(config !== undefined, `${ADAM_UPDATE_KERNEL} is registered`);
  let calls = 0;
  tf.unregisterKernel(ADAM_UPDATE_KERNEL, 'wasm');
  tf.registerKernel({ ...config, kernelFunc: (args) => (calls++, config.kernelFunc(args)) });
  try {
    const result = await fn();
    return { result, calls };
  } finally {
    syncFusedKernels();
  }
}
