import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { crossEntropyLoss, tokenCrossEntropy } from '../../src/model';
import { assertClose, expectNoLeak } from '../support/tensors';

/** −log softmax(row)[label] in float64. */
function handCe(row: number[], label: number): number {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
  return lse - row[label];
}

describe('crossEntropyLoss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const logitsRows = [
    [[1, 2, 0.5, -1], [0, 0, 0, 0], [3, -2, 1, 0.25]],
    [[-1, 4, 2, 2], [0.1, 0.2, 0.3, 0.4], [5, 5, -5, 0]],
  ];
  const labels = [[1, 3, 0], [2, 0, 1]];
  const weights = [[1, 0, 1], [0.5, 1, 0]];

  it('equals Σ w·CE / Σ w computed by hand', async () => {
    let num = 0;
    let den = 0;
    const perToken: number[] = [];
    logitsRows.forEach((row, b) =>
      row.forEach((r, t) => {
        const ce = handCe(r, labels[b][t]);
        perToken.push(ce);
        num += weights[b][t] * ce;
        den += weights[b][t];
      }),
    );
    await expectNoLeak(async () => {
      const [loss, tokens] = tf.tidy(() => {
        const logits = tf.tensor3d(logitsRows);
        const l = tf.tensor2d(labels, undefined, 'int32');
        return [crossEntropyLoss(logits, l, tf.tensor2d(weights)), tokenCrossEntropy(logits, l)];
      });
      assertClose(await tokens.data(), perToken, 1e-6, 'per-token');
      assertClose(await loss.data(), [num / den], 1e-6, 'loss');
      tf.dispose([loss, tokens]);
    });
  });

  it('ignores zero-weight tokens, whatever their labels or logits', () => {
    tf.tidy(() => {
      const w = tf.tensor2d(weights);
      const a = crossEntropyLoss(tf.tensor3d(logitsRows), tf.tensor2d(labels, undefined, 'int32'), w);
      const changedLogits = logitsRows.map((row) => row.map((r) => r.slice()));
      changedLogits[0][1] = [100, -100, 7, 7];
      const changedLabels = [[1, 0, 0], [2, 0, -100]];
      const b = crossEntropyLoss(tf.tensor3d(changedLogits), tf.tensor2d(changedLabels, undefined, 'int32'), w);
      assertClose(a.dataSync(), b.dataSync(), 1e-6);
    });
  });

  it('stays finite for huge logits and has gradient (softmax − onehot)·w / Σw', () => {
    tf.tidy(() => {
      const logits = tf.tensor3d([[[1e4, -1e4, 0], [2, 1, 0]]]);
      const l = tf.tensor2d([[1, 0]], undefined, 'int32');
      const w = tf.tensor2d([[1, 3]]);
      const loss = crossEntropyLoss(logits, l, w);
      assertClose(loss.dataSync(), [(2e4 + 3 * handCe([2, 1, 0], 0)) / 4], 1e-2);
      const g = tf.grad((x: tf.Tensor) => crossEntropyLoss(x as tf.Tensor3D, l, w))(logits);
      const z = Math.exp(2) + Math.exp(1) + 1;
      const expected = [1 / 4, -1 / 4, 0, (3 / 4) * (Math.exp(2) / z - 1), (3 / 4) * (Math.exp(1) / z), (3 / 4) * (1 / z)];
      assertClose(g.dataSync(), expected, 1e-6, 'gradient');
    });
  });

  it('returns 0 when every weight is 0', () => {
    tf.tidy(() => {
      const loss = crossEntropyLoss(tf.tensor3d(logitsRows), tf.tensor2d(labels, undefined, 'int32'), tf.zeros([2, 3]) as tf.Tensor2D);
      assert.equal(loss.dataSync()[0], 0);
    });
  });
});
