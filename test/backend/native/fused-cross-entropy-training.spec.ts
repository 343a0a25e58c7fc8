import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { CROSS_ENTROPY_KERNELS, hasKernel, SOFTMAX_CROSS_ENTROPY, syncFusedKernels } from '../../../src/backend/native';
import { crossEntropyLoss, GptModel } from '../../../src/model';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { useWasmBackend } from '../backend-fixture';
import { requireNativeKernels } from './native-fixture';

const VOCAB = 37;
const BATCH = 3;
const LENGTH = 20;

/**
 * Trains a small GPT for a few Adam steps on next-token prediction (the last label of each row
 * ignored as −100, a padded tail weighted 0, like the LM trainers' batches); returns the losses.
 */
async function trainLosses(steps: number): Promise<number[]> {
  const model = new GptModel({ vocabSize: VOCAB, maxLength: LENGTH, layers: 2, heads: 2, dim: 32, ffnDim: 64 }, new Rng(5));
  const optimizer = tf.train.adam(3e-3);
  const rng = new Rng(9);
  const rows = Array.from({ length: BATCH }, () => Array.from({ length: LENGTH + 1 }, () => rng.int(VOCAB)));
  const inputs = rows.map((r) => r.slice(0, LENGTH));
  const labels = rows.map((r) => r.slice(1).map((id, t) => (t === LENGTH - 1 ? -100 : id)));
  const weights = labels.map((r, b) => r.map((id, t) => (id < 0 || t >= LENGTH - 2 * b ? 0 : 1)));
  const losses: number[] = [];
  try {
    const vars = [...model.params.values()];
    for (let s = 0; s < steps; s++) {
      const loss = tf.tidy(() => {
        const ids = tf.tensor2d(inputs, undefined, 'int32');
        const l = tf.tensor2d(labels, undefined, 'int32');
        const w = tf.tensor2d(weights) as tf.Tensor2D;
        return optimizer.minimize(() => crossEntropyLoss(model.forward(ids), l, w), true, vars)!;
      });
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return losses;
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
