import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { asMatrixTranspose } from '../../../src/backend/kernels/transpose-kernel';
import { Rng } from '../../../src/random';
import { expectNoLeak } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

/** A random permutation of `0..rank-1`. */
function randomPerm(rng: Rng, rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

describe('Transpose wasm override', () => {
  useWasmBackend({ kernels: 'js' });

  it('recognises matrix transposes after dropping size-1 axes and merging adjacent ones', () => {
    assert.deepEqual(asMatrixTranspose([3, 5], [1, 0]), { batch: 1, rows: 3, cols: 5 });
    assert.deepEqual(asMatrixTranspose([2, 3, 5], [0, 2, 1]), { batch: 2, rows: 3, cols: 5 });
    assert.deepEqual(asMatrixTranspose([2, 3, 5], [2, 0, 1]), { batch: 1, rows: 6, cols: 5 });
    assert.deepEqual(asMatrixTranspose([3, 1, 5], [2, 1, 0]), { batch: 1, rows: 3, cols: 5 });
    assert.deepEqual(asMatrixTranspose([2, 4, 3, 5], [0, 1, 3, 2]), { batch: 8, rows: 3, cols: 5 });
    assert.equal(asMatrixTranspose([2, 4, 3, 5], [0, 2, 1, 3]), undefined, 'last axis stays: not a matrix transpose');
    assert.equal(asMatrixTranspose([2, 3], [0, 1]), undefined, 'identity');
  });

  it('matches cpu for every permutation of random rank-2 to rank-5 shapes, float32 and int32', async () => {
    const rng = new Rng(41);
    for (let trial = 0; trial < 40; trial++) {
      const rank = 2 + (trial % 4);
      const shape = Array.from({ length: rank }, () => (rng.int(4) === 0 ? 1 : rng.intBetween(2, 19)));
      const perm = randomPerm(rng, rank);
      const dtype = trial % 3 === 0 ? 'int32' : 'float32';
      const values = randomValues(rng, tf.util.sizeFromShape(shape)).map((v) => (dtype === 'int32' ? Math.round(v * 100) : v));
      const op = (): tf.Tensor => tf.transpose(tf.tensor(values, shape, dtype), perm);
      const [expected] = await runOn('cpu', op);
      const [actual] = await runOn('wasm', op);
      const label = `shape ${shape} perm ${perm} ${dtype}`;
      assert.deepEqual(actual.shape, expected.shape, label);
      assert.deepEqual(Array.from(actual.values), Array.from(expected.values), label);
    }
  });

  it('transposes matrices larger than one tile exactly', async () => {
    const rng = new Rng(42);
    const values = randomValues(rng, 3 * 67 * 45);
    const op = (): tf.Tensor[] => [tf.transpose(tf.tensor(values, [3, 67, 45]), [0, 2, 1]), tf.transpose(tf.tensor(values, [201, 45]))];
    const expected = await runOn('cpu', op);
    const actual = await runOn('wasm', op);
    for (let i = 0; i < 2; i++) assert.deepEqual(Array.from(actual[i].values), Array.from(expected[i].values));
  });

  it('leaks no tensors and no backend buffers', async () => {
    const x = tf.randomNormal([4, 6, 5]);
    try {
      const before = numDataIds();
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.transpose(x, [0, 2, 1]);
          tf.transpose(x, [1, 0, 2]);
        });
      }, 'transpose');
      assert.equal(numDataIds(), before);
    } finally {
      x.dispose();
    }
  });
});
