import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { checkpointed, frugalVariableGrads } from '../../src/autograd';
import { expectNoLeak } from '../support/tensors';

describe('checkpointed', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  let w: tf.Variable;
  let frozen: tf.Variable;
  let runs: number;
  let frozenGradients: number;
  beforeEach(() => {
    w = tf.variable(tf.tensor1d([0.5, -1.5, 2]), true, `ckpt.w.${Math.random()}`);
    frozen = tf.variable(tf.tensor1d([3, 1, -2]), true, `ckpt.frozen.${Math.random()}`);
    runs = 0;
    frozenGradients = 0;
  });
  afterEach(() => tf.dispose([w, frozen]));

  /** `sum(tanh(x·w)·c + g(frozen))`, where g's gradient counts its calls. */
  const unit = (x: tf.Tensor, [c]: readonly tf.Tensor[]): tf.Tensor => {
    runs++;
    const g = tf.customGrad((f) => ({
      value: tf.mul(f as tf.Tensor, 2),
      gradFunc: (dy: tf.Tensor) => {
        frozenGradients++;
        return tf.mul(dy, 2);
      },
    }));
    return tf.add(tf.mul(tf.tanh(tf.mul(x, w)), c), g(frozen) as tf.Tensor);
  };

  const loss = (checkpoint: boolean) => (): tf.Scalar =>
    tf.tidy(() => {
      const x = tf.mul(tf.tensor1d([1, 2, 3]), tf.sum(w)); // depends on w: the unit's input gets a gradient too
      const c = tf.tensor1d([2, -1, 0.5]);
      const y = checkpoint ? checkpointed({ name: 'unit', input: x, constants: [c], weights: new Map([['w', w], ['frozen', frozen]]), run: unit }) : unit(x, [c]);
      return tf.sum(tf.square(y));
    });

  it('gives the plain gradients bit for bit, recomputing once, and never the gradients of weights not asked for', async () => {
    const plain = frugalVariableGrads(loss(false), [w]);
    const expected = plain.grads[w.name].dataSync();
    const expectedLoss = plain.value.dataSync()[0];
    tf.dispose([plain.value, plain.grads[w.name]]);
    runs = 0;
    await expectNoLeak(() => {
      const { value, grads } = frugalVariableGrads(loss(true), [w]);
      assert.equal(runs, 2, 'the forward and one recompute');
      assert.equal(value.dataSync()[0], expectedLoss);
      assert.deepEqual(Array.from(grads[w.name].dataSync()), Array.from(expected));
      assert.deepEqual(Object.keys(grads), [w.name], 'the frozen weight gets no gradient');
      tf.dispose([value, grads[w.name]]);
    }, 'a checkpointed pass');
    assert.equal(frozenGradients, 0, 'the frozen weight was differentiated');
  });

  it('runs the unit once, as it is, without a recording tape', async () => {
    await expectNoLeak(() => tf.dispose(loss(true)()), 'an inference call');
    assert.equal(runs, 1);
  });
});
