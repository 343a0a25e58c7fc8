import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { ConfigError } from '../../src/errors';
import { clipByGlobalNorm, globalNorm } from '../../src/optim';
import { assertClose, expectNoLeak } from '../support/tensors';
import { disposeAll } from './optimizer-fixture';

/** Reference global norm in float64 over the float32 values. */
function refNorm(values: number[][]): number {
  return Math.sqrt(values.flat().reduce((s, x) => s + x * x, 0));
}

const A = [3, -4, 1.5, 2.25, -0.5, 7];
const B = [0.1, -12, 5];

function makeGrads(scale: number): Map<string, tf.Tensor> {
  return new Map([
    ['a.weight', tf.tensor(A.map((x) => x * scale), [2, 3])],
    ['b.bias', tf.tensor(B.map((x) => x * scale))],
  ]);
}

describe('clipByGlobalNorm', () => {
  it('scales large gradients so the global norm equals maxNorm, and reports the pre-clip norm', async () => {
    await expectNoLeak(() => {
      const grads = makeGrads(1);
      const input = [...grads.values()].map((t) => Array.from(t.dataSync()));
      const before = refNorm(input);
      const { grads: clipped, norm } = clipByGlobalNorm(grads, 2.5);
      assertClose([norm.dataSync()[0]], [before], 1e-5 * before, 'pre-clip norm');
      const out = [...clipped.values()].map((t) => Array.from(t.dataSync()));
      const after = refNorm(out);
      assert.ok(Math.abs(after - 2.5) <= 2.5 * 1e-6, `clipped norm ${after} should be 2.5`);
      // Same direction: every entry scaled by maxNorm / norm.
      assertClose(out.flat(), input.flat().map((x) => (x * 2.5) / before), 1e-6, 'clipped values');
      assert.deepEqual([...clipped.keys()], [...grads.keys()]);
      // Inputs are untouched and still usable.
      assert.deepEqual([...grads.values()].map((t) => Array.from(t.dataSync())), input);
      [grads, clipped].forEach(disposeAll);
      norm.dispose();
    });
  });

  it('caps exactly rather than PyTorch-style maxNorm/(norm + 1e-6)', () => {
    // With norm 1e-3 and maxNorm 1e-4 PyTorch's epsilon would leave the norm 0.1% short.
    const grads = makeGrads(1e-3 / refNorm([A, B]));
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1e-4);
    const after = refNorm([...clipped.values()].map((t) => Array.from(t.dataSync())));
    assert.ok(Math.abs(after - 1e-4) <= 1e-4 * 1e-6, `clipped norm ${after}`);
    [grads, clipped].forEach(disposeAll);
    norm.dispose();
  });

  it('leaves gradients at or below maxNorm bit-identical', () => {
    for (const grads of [makeGrads(0.01), new Map([['x', tf.tensor([3, 4])]])]) {
      const input = [...grads.values()].map((t) => Array.from(t.dataSync()));
      const { grads: clipped, norm } = clipByGlobalNorm(grads, 5);
      assert.deepEqual([...clipped.values()].map((t) => Array.from(t.dataSync())), input);
      assert.ok(norm.dataSync()[0] <= 5);
      [grads, clipped].forEach(disposeAll);
      norm.dispose();
    }
  });

  it('handles zero and empty gradients without NaN', () => {
    const zeros = new Map([['z', tf.zeros([3])]]);
    const { grads, norm } = clipByGlobalNorm(zeros, 1);
    assert.deepEqual(Array.from(grads.get('z')?.dataSync() ?? []), [0, 0, 0]);
    assert.equal(norm.dataSync()[0], 0);
    [zeros, grads].forEach(disposeAll);
    norm.dispose();
    const empty = globalNorm(new Map());
    assert.equal(empty.dataSync()[0], 0);
    empty.dispose();
  });

  it('rejects a non-positive maxNorm', () => {
    assert.throws(() => clipByGlobalNorm(new Map(), 0), ConfigError);
  });
});
