import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { microBatchGradients } from '../../src/trainer/micro-batch-gradients';

/** Tensors made while `fn` runs, counted by tensor ids (every tensor takes the next one). */
function tensorsMade(fn: () => void): number {
  const first = tf.scalar(0);
  fn();
  const last = tf.scalar(0);
  tf.dispose([first, last]);
  return last.id - first.id - 1;
}

describe('microBatchGradients', () => {
  const names = ['w0', 'w1', 'w2', 'w3'];
  let params: Map<string, tf.Variable>;
  const loss = (): tf.Scalar => tf.addN([...params.values()].map((v, i) => tf.sum(tf.mul(tf.square(v), i + 1)))) as tf.Scalar;

  beforeEach(() => {
    params = new Map(names.map((n, i) => [n, tf.variable(tf.tensor([0.3 * (i + 1), -1 / 3, 2.5]), true, `mbg-${n}-${Math.random()}`)]));
  });
  afterEach(() => tf.dispose([...params.values()]));

  it('scales every gradient by the weight with one weight tensor, bit for bit as g.mul(weight)', () => {
    const numTensors = tf.memory().numTensors;
    let unscaled!: ReturnType<typeof microBatchGradients>;
    let scaled!: ReturnType<typeof microBatchGradients>;
    const plain = tensorsMade(() => (unscaled = microBatchGradients(loss, params, 1)));
    const weighted = tensorsMade(() => (scaled = microBatchGradients(loss, params, 2047)));
    // One multiply per gradient plus a single weight scalar (a number per mul made one scalar each).
    assert.equal(weighted - plain, names.length + 1);
    for (const n of names) {
      const want = tf.tidy(() => unscaled.grads.get(n)!.mul(2047).dataSync());
      assert.deepEqual(Array.from(scaled.grads.get(n)!.dataSync()), Array.from(want), n);
    }
    assert.equal(scaled.loss.dataSync()[0], unscaled.loss.dataSync()[0]);
    for (const r of [unscaled, scaled]) tf.dispose([r.loss, ...r.grads.values()]);
    assert.equal(tf.memory().numTensors, numTensors);
  });
});
