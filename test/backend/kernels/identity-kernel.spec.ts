import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { numDataIds, runOn, useWasmBackend } from '../backend-fixture';

describe('Identity wasm override (zero-copy)', () => {
  useWasmBackend({ kernels: 'js' });

  it('shares the buffer instead of copying it', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const buffersBefore = numDataIds();
    const y = tf.clone(x);
    try {
      assert.equal(y.dataId, x.dataId);
      assert.equal(numDataIds(), buffersBefore);
      assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
    } finally {
      tf.dispose([x, y]);
    }
  });

  it('keeps a clone readable after the original is disposed, and frees the buffer with the last one', () => {
    const buffersBefore = numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
    y.dispose();
    assert.equal(numDataIds(), buffersBefore);
  });

  it('leaves a clone unchanged when the variable it was cloned from is assigned', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const snapshot = tf.clone(v);
    try {
      v.assign(tf.tensor1d([7, 8]));
      assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2]);
      assert.deepEqual(Array.from(v.dataSync()), [7, 8]);
    } finally {
      tf.dispose([v, snapshot]);
    }
  });

  it('still clones string tensors (stock path)', () => {
    const s = tf.tensor1d(['a', 'bc'], 'string');
    const t = tf.clone(s);
    try {
      assert.deepEqual(t.dataSync(), ['a', 'bc']);
    } finally {
      tf.dispose([s, t]);
    }
  });

  it('gives the same gradients as cpu in a small training step that saves tensors for backward', async () => {
    const step = (): tf.Tensor[] => {
      const w = tf.tensor2d([0.5, -1, 2, 0.25, 1.5, -0.75], [3, 2]);
      const x = tf.tensor2d([1, 2, 3, -1, 0, 4], [2, 3]);
      return tf.grads((wt: tf.Tensor) => tf.sum(tf.sigmoid(tf.matMul(tf.clone(x), tf.clone(wt)))))([w]);
    };
    const [expected] = await runOn('cpu', step);
    const [actual] = await runOn('wasm', step);
    assertClose(actual.values, expected.values, 1e-5);
  });

  it('leaks no tensors or buffers', async () => {
    const x = tf.randomNormal([4, 4]);
    try {
      const buffersBefore = numDataIds();
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.clone(tf.clone(x));
        });
      }, 'clone');
      assert.equal(numDataIds(), buffersBefore);
    } finally {
      x.dispose();
    }
  });
});
