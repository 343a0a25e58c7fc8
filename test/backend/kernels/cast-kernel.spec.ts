import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { expectNoLeak } from '../../support/tensors';
import { numDataIds, runOn, useWasmBackend } from '../backend-fixture';

describe('Cast wasm override', () => {
  useWasmBackend({ kernels: 'js' });

  it('shares the buffer for a cast to the same dtype', () => {
    const x = tf.tensor2d([1.5, -2, 3, 4], [2, 2]);
    const before = numDataIds();
    const y = tf.cast(x, 'float32');
    try {
      assert.equal(y.dataId, x.dataId);
      assert.equal(numDataIds(), before);
      x.dispose();
      assert.deepEqual(Array.from(y.dataSync()), [1.5, -2, 3, 4]);
    } finally {
      tf.dispose([x, y]);
    }
  });

  it('still converts between dtypes like cpu (stock path)', async () => {
    const op = (): tf.Tensor[] => {
      const f = tf.tensor1d([1.7, -2.2, 0, 3]);
      const i = tf.tensor1d([0, 2, -3, 1], 'int32');
      return [tf.cast(f, 'int32'), tf.cast(i, 'float32'), tf.cast(i, 'bool'), tf.cast(tf.cast(i, 'bool'), 'int32')];
    };
    const expected = await runOn('cpu', op);
    const actual = await runOn('wasm', op);
    expected.forEach((e, k) => assert.deepEqual(Array.from(actual[k].values), Array.from(e.values), `case ${k}`));
  });

  it('frees the shared buffer with the last tensor and leaks nothing', async () => {
    const before = numDataIds();
    await expectNoLeak(() => {
      tf.tidy(() => {
        const x = tf.ones([3, 3]);
        tf.cast(tf.cast(x, 'float32'), 'float32');
      });
    }, 'cast');
    assert.equal(numDataIds(), before);
  });
});
