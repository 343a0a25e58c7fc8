import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { CROSS_ENTROPY_KERNELS, hasKernel, SOFTMAX_CROSS_ENTROPY, syncFusedKernels } from '../../../src/backend/native';
import { assertClose } from '../../support/tensors';
import { useWasmBackend } from '../backend-fixture';
import { randomRows, requireNativeKernels, trainGptLosses } from './native-fixture';

const VOCAB = 37;
const BATCH = 3;
const LENGTH = 20;

/**
 * Trains a small GPT for a few Adam steps on next-token prediction (the last label of each row
 * ignored as −100, a padded tail weighted 0, like the LM trainers' batches); returns the losses.
 */
async function trainLosses(steps: number): Promise<number[]> {
  const rows = randomRows(BATCH, LENGTH + 1, VOCAB);
  const inputs = rows.map((r) => r.slice(0, LENGTH));
  const labels = rows.map((r) => r.slice(1).map((id, t) => (t === LENGTH - 1 ? -100 : id)));
  const weights = labels.map((r, b) => r.map((id, t) => (id < 0 || t >= LENGTH - 2 * b ? 0 : 1)));
  return trainGptLosses({ options: { vocabSize: VOCAB, maxLength: LENGTH }, inputs, labels, weights, steps });
}

describe('fused softmax cross-entropy in training (wasm)', () => {
  useWasmBackend();
  requireNativeKernels();

  it('trains a GPT with the same losses as the composite loss, with a flat tensor count', async () => {
    assert.ok(hasKernel(SOFTMAX_CROSS_ENTROPY), 'fused kernel registered');
    const before = tf.memory().numTensors;
    const fused = await trainLosses(8);
    assert.equal(tf.memory().numTensors, before, 'tensors after the fused run');
    // Only this family off: every other native kernel stays, so the loss path is the one difference.
    for (const name of CROSS_ENTROPY_KERNELS) tf.unregisterKernel(name, 'wasm');
    let composite: number[];
    try {
      assert.equal(hasKernel(SOFTMAX_CROSS_ENTROPY), false);
      composite = await trainLosses(8);
    } finally {
      syncFusedKernels();
    }
    assert.ok(hasKernel(SOFTMAX_CROSS_ENTROPY), 'fused kernel registered again');
    assertClose(fused, composite, 1e-4, 'losses fused vs composite');
    assert.ok(fused[7] < fused[0], `loss decreases: ${fused.join(', ')}`);
  });
});
