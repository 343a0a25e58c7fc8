import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { copyTensorsInto } from '../../src/backend/host-copy';
import { Rng } from '../../src/random';
import { randomValues, useWasmBackend } from './backend-fixture';

describe('copyTensorsInto', () => {
  useWasmBackend();

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`copies float32 tensors bit for bit to their offsets, touching nothing else (${backend})`, async () => {
      const previous = tf.getBackend();
      await tf.setBackend(backend);
      const rng = new Rng(5);
      const a = randomValues(rng, 12);
      a[3] = NaN;
      a[4] = -0;
      const b = randomValues(rng, 7);
      const tensors = [tf.tensor(a, [3, 4]), tf.tensor(b, [7])];
      try {
        const dst = new Float32Array(32).fill(99);
        await copyTensorsInto(tensors, dst, [20, 2]);
        const bits = (v: Float32Array): number[] => Array.from(new Int32Array(v.buffer, v.byteOffset, v.length));
        assert.deepEqual(bits(dst.slice(20, 32)), bits(a));
        assert.deepEqual(bits(dst.slice(2, 9)), bits(b));
        assert.deepEqual([...dst.slice(0, 2), ...dst.slice(9, 20)], new Array(13).fill(99));
      } finally {
        tf.dispose(tensors);
        await tf.setBackend(previous);
      }
    });
  }

  it('refuses other dtypes, naming the dtype', async () => {
    const t = tf.tensor([1, 2], [2], 'int32');
    try {
      await assert.rejects(copyTensorsInto([t], new Float32Array(2), [0]), /float32 tensors, got int32/);
    } finally {
      t.dispose();
    }
  });
});
