import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { TrainingError } from '../../src/errors';
import { GradientAccumulator } from '../../src/optim';
import { assertClose, expectNoLeak } from '../support/tensors';
import { disposeAll } from './optimizer-fixture';

// Linear model y = x·w + b with mean squared error, 8 examples of 3 features.
const X = Array.from({ length: 8 }, (_, i) => [Math.sin(i), Math.cos(2 * i), 0.1 * i - 0.3]);
const T = Array.from({ length: 8 }, (_, i) => 0.5 * i - 1);
const W0 = [0.4, -0.2, 0.7];
const B0 = 0.1;

/** Gradients of mean((x·w + b - t)²) over `rows`, through tfjs autodiff. */
function tfGrads(w: tf.Variable, b: tf.Variable, rows: number[]): Map<string, tf.Tensor> {
  const { grads, value } = tf.variableGrads(() => {
    const x = tf.tensor2d(rows.map((r) => X[r]));
    const t = tf.tensor1d(rows.map((r) => T[r]));
    return tf.squaredDifference(x.matMul(w).squeeze([1]).add(b), t).mean() as tf.Scalar;
  }, [w, b]);
  value.dispose();
  return new Map([['w', grads[w.name]], ['b', grads[b.name]]]);
}

/** Hand-written gradient: dL/dw = 2/N Σ e_i x_i, dL/db = 2/N Σ e_i. */
function refGrads(rows: number[]): { w: number[]; b: number } {
  const w = [0, 0, 0];
  let b = 0;
  for (const r of rows) {
    const e = X[r].reduce((s, x, j) => s + x * W0[j], B0) - T[r];
    X[r].forEach((x, j) => (w[j] += (2 / rows.length) * e * x));
    b += (2 / rows.length) * e;
  }
  return { w, b };
}

describe('GradientAccumulator', () => {
  it('averages 4 micro-batches of 2 into the gradient of one batch of 8', async () => {
    await expectNoLeak(() => {
      const w = tf.tidy(() => tf.variable(tf.tensor2d(W0, [3, 1])));
      const b = tf.tidy(() => tf.variable(tf.scalar(B0)));
      const acc = new GradientAccumulator();
      for (let mb = 0; mb < 4; mb++) {
        const g = tfGrads(w, b, [2 * mb, 2 * mb + 1]);
        acc.add(g);
        disposeAll(g); // the accumulator keeps its own handles
      }
      assert.equal(acc.count, 4);
      const avg = acc.average();
      const full = tfGrads(w, b, [0, 1, 2, 3, 4, 5, 6, 7]);
      const ref = refGrads([0, 1, 2, 3, 4, 5, 6, 7]);
      assertClose(avg.get('w')?.dataSync() ?? [], full.get('w')?.dataSync() ?? [], 1e-6, 'w vs full batch');
      assertClose(avg.get('b')?.dataSync() ?? [], full.get('b')?.dataSync() ?? [], 1e-6, 'b vs full batch');
      assertClose(avg.get('w')?.dataSync() ?? [], ref.w, 1e-5, 'w vs reference');
      assertClose(avg.get('b')?.dataSync() ?? [], [ref.b], 1e-5, 'b vs reference');
      [avg, full].forEach(disposeAll);
      acc.reset();
      assert.equal(acc.count, 0);
      assert.deepEqual(acc.names, []);
      w.dispose();
      b.dispose();
    });
  });

  it('keeps the tensor count flat while adding and divides by an explicit count', () => {
    const acc = new GradientAccumulator();
    const g = new Map([['p', tf.tensor([1, 2])]]);
    acc.add(g);
    const flat = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      acc.add(g);
      assert.equal(tf.memory().numTensors, flat);
    }
    const mean = acc.average(42);
    assertClose(mean.get('p')?.dataSync() ?? [], [0.5, 1], 1e-7);
    [mean, g].forEach(disposeAll);
    acc.dispose();
  });

  it('rejects mismatched shapes and averaging nothing', () => {
    const acc = new GradientAccumulator();
    assert.throws(() => acc.average(), TrainingError);
    const a = new Map([['p', tf.zeros([2])]]);
    const b = new Map([['p', tf.zeros([3])]]);
    acc.add(a);
    assert.throws(() => acc.add(b), /shape \[3\]/);
    [a, b].forEach(disposeAll);
    acc.dispose();
  });

  it('says when micro-batches were added but weigh 0 in total (was: "over 0 micro-batches; add at least one first")', () => {
    const acc = new GradientAccumulator();
    const g = new Map([['p', tf.zeros([2])]]);
    acc.add(g);
    acc.add(g);
    assert.throws(() => acc.average(0), /^TrainingError: Cannot average gradients: the 2 micro-batches of this step weigh 0 in total \(a batch's weight is its loss tokens or rows, from the trainer's batchWeight\(\)\)/);
    disposeAll(g);
    acc.dispose();
  });

  it('take() keeps a first gradient as its running sum (no clone) and frees later ones once added', () => {
    const acc = new GradientAccumulator();
    const before = tf.memory().numTensors;
    const g1 = tf.tensor([1, 2]);
    acc.take(new Map([['p', g1]]));
    assert.equal(acc.sum('p'), g1, 'the first gradient is the sum itself');
    assert.equal(tf.memory().numTensors, before + 1);
    const g2 = tf.tensor([10, 20]);
    acc.take(new Map([['p', g2]]));
    assert.ok(g1.isDisposed && g2.isDisposed, 'the replaced sum and the added gradient are freed');
    assert.deepEqual(Array.from(acc.sum('p')?.dataSync() ?? []), [11, 22]);
    assert.equal(tf.memory().numTensors, before + 1);
    acc.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('take() keeps one tensor held under two names as two sums, and frees everything when a shape is wrong', () => {
    const acc = new GradientAccumulator();
    const before = tf.memory().numTensors;
    const shared = tf.tensor([1, 2]);
    acc.take(new Map([['a', shared], ['b', shared]]));
    acc.take(new Map([['a', tf.tensor([1, 1])], ['b', tf.tensor([2, 2])]]));
    assert.deepEqual(Array.from(acc.sum('a')?.dataSync() ?? []), [2, 3]);
    assert.deepEqual(Array.from(acc.sum('b')?.dataSync() ?? []), [3, 4]);
    const wrong = tf.zeros([3]);
    const other = tf.zeros([2]);
    assert.throws(() => acc.take(new Map([['b', other], ['a', wrong]])), /Gradient 'a' has shape \[3\], but earlier micro-batches had \[2\]/);
    assert.ok(wrong.isDisposed && other.isDisposed, 'take() owns what it was given, also when it throws');
    assert.equal(acc.count, 2);
    acc.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('average() makes one divisor tensor for all sums, with the bits of dividing each by the count', () => {
    const acc = new GradientAccumulator();
    const sums = Array.from({ length: 5 }, (_, i) => tf.tensor([0.1 * (i + 1), 1 / 3, 7 + i]));
    acc.add(new Map(sums.map((t, i) => [`p${i}`, t])));
    const firstId = tf.scalar(0);
    const mean = acc.average(2048 * 3);
    const lastId = tf.scalar(0);
    // Tensor ids count every tensor made: 5 quotients and 1 divisor (a number per tf.div made 5 more).
    assert.equal(lastId.id - firstId.id - 1, 5 + 1);
    sums.forEach((t, i) => assert.deepEqual(Array.from(mean.get(`p${i}`)?.dataSync() ?? []), Array.from(tf.tidy(() => tf.div(t, 2048 * 3).dataSync()))));
    [mean, new Map(sums.map((t, i) => [`p${i}`, t]))].forEach(disposeAll);
    tf.dispose([firstId, lastId]);
    acc.dispose();
  });
});
