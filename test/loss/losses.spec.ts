import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  BinaryCrossEntropyLossConfig,
  BinaryCrossEntropyLossFactory,
  ConfigError,
  CrossEntropyLossConfig,
  CrossEntropyLossFactory,
  HuberLossConfig,
  HuberLossFactory,
  LossConfig,
  LossFactory,
  LossShapeError,
  MaeLossFactory,
  MseLossFactory,
  SupervisedLoss,
  Trainer,
  validateRecipe,
} from '../../src';
import { expectNoLeak } from '../support/tensors';

/** Builds a loss from its factory class and config fields (losses do not use the trainer). */
function makeLoss<C extends LossConfig>(cls: new (t: Trainer, c: C) => LossFactory<C>, config: C): SupervisedLoss {
  return new cls({} as Trainer, config).createLoss();
}

function value(loss: SupervisedLoss, predictions: number[][], targets: number[][] | number[], dtype: 'float32' | 'int32' = 'float32'): number {
  return tf.tidy(() => {
    const t = Array.isArray(targets[0]) ? tf.tensor2d(targets as number[][], undefined, dtype) : tf.tensor1d(targets as number[], dtype);
    return loss.compute(tf.tensor2d(predictions), t).dataSync()[0];
  });
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const logSumExp = (row: number[]): number => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};

const P = [
  [0.5, -1.25, 3],
  [2, 0.1, -0.7],
];
const T = [
  [1, -1, 0.5],
  [-0.5, 0.2, -0.6],
];
const ERRORS = P.flatMap((row, i) => row.map((p, j) => p - T[i][j]));

describe('loss factories', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('mse is the mean of squared errors', () => {
    assert.ok(Math.abs(value(makeLoss(MseLossFactory, new LossConfig()), P, T) - mean(ERRORS.map((e) => e * e))) < 1e-6);
  });

  it('mae is the mean of absolute errors', () => {
    assert.ok(Math.abs(value(makeLoss(MaeLossFactory, new LossConfig()), P, T) - mean(ERRORS.map(Math.abs))) < 1e-6);
  });

  it('huber is quadratic within delta and linear beyond it', () => {
    for (const delta of [1, 0.5]) {
      const huber = (e: number): number => (Math.abs(e) <= delta ? 0.5 * e * e : delta * (Math.abs(e) - 0.5 * delta));
      // The errors (−0.5, −0.25, 2.5, 2.5, −0.1, −0.1) fall on both sides of each delta.
      assert.ok(ERRORS.some((e) => Math.abs(e) < delta) && ERRORS.some((e) => Math.abs(e) > delta));
      const loss = makeLoss(HuberLossFactory, Object.assign(new HuberLossConfig(), { delta }));
      assert.ok(Math.abs(value(loss, P, T) - mean(ERRORS.map(huber))) < 1e-6, `delta ${delta}`);
    }
  });

  it('cross-entropy from class ids, [N, 1] ids and one-hot rows is −mean log softmax of the true class', () => {
    const ids = [2, 0];
    const expected = mean(P.map((row, i) => logSumExp(row) - row[ids[i]]));
    const loss = makeLoss(CrossEntropyLossFactory, new CrossEntropyLossConfig());
    assert.ok(Math.abs(value(loss, P, ids, 'int32') - expected) < 1e-5);
    assert.ok(Math.abs(value(loss, P, ids.map((i) => [i]), 'int32') - expected) < 1e-5);
    const oneHot = ids.map((id) => [0, 1, 2].map((c) => (c === id ? 1 : 0)));
    assert.ok(Math.abs(value(loss, P, oneHot) - expected) < 1e-5);
  });

  it('cross-entropy with label smoothing spreads ε evenly over the classes', () => {
    const eps = 0.1;
    const ids = [1, 2];
    const expected = mean(
      P.map((row, i) => {
        const lse = logSumExp(row);
        return row.reduce((s, v, c) => s - ((c === ids[i] ? 1 - eps : 0) + eps / 3) * (v - lse), 0);
      }),
    );
    const loss = makeLoss(CrossEntropyLossFactory, Object.assign(new CrossEntropyLossConfig(), { labelSmoothing: eps }));
    assert.ok(Math.abs(value(loss, P, ids, 'int32') - expected) < 1e-5);
  });

  it('cross-entropy on probabilities takes their log directly (fromLogits: false)', () => {
    const probs = [
      [0.2, 0.3, 0.5],
      [0.7, 0.2, 0.1],
    ];
    const loss = makeLoss(CrossEntropyLossFactory, Object.assign(new CrossEntropyLossConfig(), { fromLogits: false }));
    assert.ok(Math.abs(value(loss, probs, [2, 1], 'int32') - mean([-Math.log(0.5), -Math.log(0.2)])) < 1e-6);
    assert.equal(loss.outputs, 'probabilities');
  });

  it('cross-entropy gradient with respect to the logits is (softmax − target) / N', () => {
    const loss = makeLoss(CrossEntropyLossFactory, new CrossEntropyLossConfig());
    const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => loss.compute(x as tf.Tensor2D, tf.tensor1d([2, 0], 'int32')))(tf.tensor2d(P)).arraySync() as number[][]);
    P.forEach((row, i) => {
      const lse = logSumExp(row);
      row.forEach((v, c) => assert.ok(Math.abs(grad[i][c] - (Math.exp(v - lse) - (c === [2, 0][i] ? 1 : 0)) / 2) < 1e-6));
    });
  });

  it('binary-cross-entropy from logits equals −mean(t·log σ(x) + (1−t)·log(1−σ(x))), also for large logits', () => {
    const x = [
      [0.3, -2],
      [40, -40],
    ];
    const t = [
      [1, 0],
      [1, 1],
    ];
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
    // log(1 − σ(−40)) underflows in a naive form; −log σ(−40) = 40 + log(1 + e^−40).
    const terms = [-Math.log(sigmoid(0.3)), -Math.log(1 - sigmoid(-2)), Math.log1p(Math.exp(-40)), 40 + Math.log1p(Math.exp(-40))];
    const loss = makeLoss(BinaryCrossEntropyLossFactory, new BinaryCrossEntropyLossConfig());
    assert.ok(Math.abs(value(loss, x, t) - mean(terms)) < 1e-5);
  });

  it('binary-cross-entropy on probabilities (fromLogits: false)', () => {
    const loss = makeLoss(BinaryCrossEntropyLossFactory, Object.assign(new BinaryCrossEntropyLossConfig(), { fromLogits: false }));
    const expected = mean([-Math.log(0.9), -Math.log(1 - 0.2)]);
    assert.ok(Math.abs(value(loss, [[0.9], [0.2]], [[1], [0]]) - expected) < 1e-6);
  });

  it('rejects predictions and targets of different shapes instead of broadcasting', () => {
    const mse = makeLoss(MseLossFactory, new LossConfig());
    assert.throws(() => value(mse, P, [[1], [2]]), (e: unknown) => e instanceof LossShapeError && /\[2, 3\].*\[2, 1\]/.test((e as Error).message));
  });

  it('leaves no tensors behind', async () => {
    const losses = [
      makeLoss(MseLossFactory, new LossConfig()),
      makeLoss(HuberLossFactory, new HuberLossConfig()),
      makeLoss(CrossEntropyLossFactory, Object.assign(new CrossEntropyLossConfig(), { labelSmoothing: 0.2 })),
    ];
    const x = tf.tensor2d(P);
    const y = tf.tensor2d(T);
    const ids = tf.tensor1d([0, 1], 'int32');
    await expectNoLeak(() => {
      losses[0].compute(x, y).dispose();
      losses[1].compute(x, y).dispose();
      losses[2].compute(x, ids).dispose();
    }, 'losses');
    tf.dispose([x, y, ids]);
  });
});

describe('loss section of a supervised recipe', () => {
  const base = { type: 'supervised', data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'sine' }] } };

  it('defaults to mse and accepts each registered loss by type', async () => {
    const { config } = await validateRecipe(base);
    assert.equal((config as unknown as { loss: LossConfig }).loss.type, 'mse');
    for (const type of ['mae', 'huber', 'cross-entropy', 'binary-cross-entropy']) {
      const resolved = await validateRecipe({ ...base, loss: { type } });
      assert.equal((resolved.config as unknown as { loss: LossConfig }).loss.type, type);
    }
  });

  it('names the supported losses and a close match for an unknown type, and validates loss settings', async () => {
    await assert.rejects(validateRecipe({ ...base, loss: { type: 'hubr' } }), (e: unknown) => {
      const m = (e as Error).message;
      return e instanceof ConfigError && m.includes("loss.type 'hubr' is not supported by trainer 'supervised'") && m.includes('Supported: mse, mae, huber, cross-entropy, binary-cross-entropy') && m.includes("Did you mean 'huber'?");
    });
    await assert.rejects(validateRecipe({ ...base, loss: { type: 'huber', delta: -1 } }), /loss\.delta: must be a positive number/);
    await assert.rejects(validateRecipe({ ...base, loss: { type: 'cross-entropy', labelSmoothing: 1.5 } }), /loss\.labelSmoothing/);
  });
});
