import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { crossEntropyLoss, GptModel } from '../../../src/model';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { randomValues, runOn, useWasmBackend } from '../backend-fixture';
import { requireNativeKernels, withoutNative } from './native-fixture';

/** Trains a small GPT for a few Adam steps on the current backend; returns the losses. */
async function trainLosses(steps: number): Promise<number[]> {
  const model = new GptModel({ vocabSize: 31, maxLength: 24, layers: 2, heads: 2, dim: 32, ffnDim: 64 }, new Rng(5));
  const optimizer = tf.train.adam(3e-3);
  const rng = new Rng(9);
  const rows = Array.from({ length: 4 }, () => Array.from({ length: 24 }, () => rng.int(31)));
  const losses: number[] = [];
  try {
    const vars = [...model.params.values()];
    for (let s = 0; s < steps; s++) {
      const loss = tf.tidy(() => {
        const ids = tf.tensor2d(rows, undefined, 'int32');
        const weights = tf.ones([4, 24]) as tf.Tensor2D;
        return optimizer.minimize(() => crossEntropyLoss(model.forward(ids), ids, weights), true, vars)!;
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

describe('native Sum and training (wasm)', () => {
  useWasmBackend();
  requireNativeKernels();

  it('sums leading axes like cpu (bias gradients), with keepDims; other sums go to the JS kernel', async () => {
    const rng = new Rng(21);
    const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
      { shape: [2048, 128], axis: 0, keepDims: false },
      { shape: [7, 3, 13], axis: [0, 1], keepDims: false },
      { shape: [5, 9], axis: 0, keepDims: true },
      { shape: [1, 1], axis: 0, keepDims: false },
      { shape: [6, 10], axis: 1, keepDims: false },
      { shape: [6, 10], axis: [0, 1], keepDims: false },
    ];
    for (const c of cases) {
      const values = randomValues(rng, tf.util.sizeFromShape(c.shape));
      const f = (): tf.Tensor => tf.sum(tf.tensor(values, c.shape), c.axis, c.keepDims);
      const [expected] = await runOn('cpu', f);
      const [actual] = await runOn('wasm', f);
      assert.deepEqual(actual.shape, expected.shape, JSON.stringify(c));
      assertClose(actual.values, expected.values, 1e-3, JSON.stringify(c));
    }
  });

  it('trains a GPT with the same losses as the JS wasm kernels, with a flat tensor count', async () => {
    const before = tf.memory().numTensors;
    const native = await trainLosses(6);
    assert.equal(tf.memory().numTensors, before, 'tensors after the native run');
    const js = await withoutNative(() => trainLosses(6));
    assertClose(native, js, 1e-4, 'losses native vs JS kernels');
    assert.ok(native[5] < native[0], `loss decreases: ${native.join(', ')}`);
  });
});
