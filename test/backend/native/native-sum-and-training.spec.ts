import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { randomValues, runOn, useWasmBackend } from '../backend-fixture';
import { randomRows, requireNativeKernels, trainGptLosses, withoutNative } from './native-fixture';


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
    const native = await trainGptLosses({ inputs: randomRows(4, 24, 31), steps: 6 });
    assert.equal(tf.memory().numTensors, before, 'tensors after the native run');
    const js = await withoutNative(() => trainGptLosses({ inputs: randomRows(4, 24, 31), steps: 6 }));
    assertClose(native, js, 1e-4, 'losses native vs JS kernels');
    assert.ok(native[5] < native[0], `loss decreases: ${native.join(', ')}`);
  });
});
