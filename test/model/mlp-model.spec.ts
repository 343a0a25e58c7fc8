import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { MlpModel, MlpOptions, Rng } from '../../src';
import { expectNoLeak, maxAbsDiff } from '../support/tensors';

const OPTIONS: MlpOptions = { inputSize: 2, outputSize: 5, hidden: [4, 3], activation: 'relu', dropout: 0, outputActivation: 'linear' };

describe('MlpModel', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('names its weights layers.<i>.weight/bias [in, out] then output.weight/bias', () => {
    const model = new MlpModel(OPTIONS, new Rng(1));
    try {
      assert.deepEqual(
        [...model.params].map(([name, v]) => `${name} [${v.shape}]`),
        ['layers.0.weight [2,4]', 'layers.0.bias [4]', 'layers.1.weight [4,3]', 'layers.1.bias [3]', 'output.weight [3,5]', 'output.bias [5]'],
      );
      assert.equal(model.parameterCount(), 2 * 4 + 4 + 4 * 3 + 3 + 3 * 5 + 5);
    } finally {
      model.dispose();
    }
  });

  it('initialises the same weights from the same seed, within the He-uniform bound, biases zero', () => {
    const a = new MlpModel(OPTIONS, new Rng(7));
    const b = new MlpModel(OPTIONS, new Rng(7));
    const c = new MlpModel(OPTIONS, new Rng(8));
    try {
      const w = (m: MlpModel, n: string) => m.params.get(n)?.dataSync() as Float32Array;
      assert.equal(maxAbsDiff(w(a, 'layers.0.weight'), w(b, 'layers.0.weight')), 0);
      assert.ok(maxAbsDiff(w(a, 'layers.0.weight'), w(c, 'layers.0.weight')) > 0);
      assert.ok(Array.from(w(a, 'layers.0.weight')).every((v) => Math.abs(v) <= Math.sqrt(6 / 2)));
      assert.ok(Array.from(w(a, 'layers.0.bias')).every((v) => v === 0));
    } finally {
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it('computes relu(x·W0 + b0) … ·Wout + bout', () => {
    const model = new MlpModel({ ...OPTIONS, hidden: [3] }, new Rng(2));
    try {
      const x = [
        [0.5, -1],
        [2, 0.25],
      ];
      const matrix = (n: string) => model.params.get(n)?.arraySync() as number[][];
      const vector = (n: string) => model.params.get(n)?.arraySync() as number[];
      const [w0, b0, w1, b1] = [matrix('layers.0.weight'), vector('layers.0.bias'), matrix('output.weight'), vector('output.bias')];
      const expected = x.map((row) => {
        const h = b0.map((b, j) => Math.max(0, b + row.reduce((s, v, i) => s + v * w0[i][j], 0)));
        return b1.map((b, k) => b + h.reduce((s, v, j) => s + v * w1[j][k], 0));
      });
      const actual = tf.tidy(() => model.predict(tf.tensor2d(x), { training: false }).arraySync());
      assert.ok(maxAbsDiff(actual.flat(), expected.flat()) < 1e-5);
    } finally {
      model.dispose();
    }
  });

  it('applies dropout only in training, reproducibly for a given seed', () => {
    const model = new MlpModel({ ...OPTIONS, hidden: [64], dropout: 0.5 }, new Rng(3));
    try {
      const x = tf.ones([4, 2]) as tf.Tensor2D;
      const run = (training: boolean, dropoutSeed?: number) => tf.tidy(() => model.predict(x, { training, dropoutSeed }).dataSync());
      assert.equal(maxAbsDiff(run(false), run(false)), 0);
      assert.ok(maxAbsDiff(run(true, 11), run(false)) > 1e-3);
      assert.equal(maxAbsDiff(run(true, 11), run(true, 11)), 0);
      assert.ok(maxAbsDiff(run(true, 11), run(true, 12)) > 1e-3);
      x.dispose();
    } finally {
      model.dispose();
    }
  });

  it('softmax output rows sum to 1, and predict leaves no tensors behind', async () => {
    const model = new MlpModel({ ...OPTIONS, outputActivation: 'softmax' }, new Rng(4));
    const x = tf.randomNormal([6, 2], 0, 1, 'float32', 5) as tf.Tensor2D;
    try {
      const sums = tf.tidy(() => tf.sum(model.predict(x, { training: false }), 1).dataSync());
      assert.ok(Array.from(sums).every((s) => Math.abs(s - 1) < 1e-5));
      await expectNoLeak(() => model.predict(x, { training: true }).dispose(), 'MlpModel.predict');
      assert.throws(() => model.predict(tf.zeros([2, 3]) as tf.Tensor2D, { training: false }), /expects features \[N, 2\], got \[2, 3\]/);
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});
