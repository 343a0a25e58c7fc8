import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { DisconnectedLossError, frugalVariableGrads } from '../../src/autograd';
import { initBackend } from '../../src/backend';
import { crossEntropyLoss, type GptOptions } from '../../src/model';
import { Rng } from '../../src/random';
import { randomizeParams, tinyModel } from '../model/helpers';
import { expectNoLeak } from '../support/tensors';

type Loss = () => tf.Scalar;

/** Both passes' loss and gradients, read back; asserts the two agree bit for bit. */
function assertSameAsTfjs(loss: Loss, vars: tf.Variable[], label: string): void {
  const read = (r: { value: tf.Scalar; grads: tf.NamedTensorMap }): { value: number; grads: Map<string, Float32Array> } => {
    try {
      return { value: r.value.dataSync()[0], grads: new Map(Object.entries(r.grads).filter(([, g]) => g !== null).map(([k, g]) => [k, g.dataSync() as Float32Array])) };
    } finally {
      tf.dispose([r.value, ...Object.values(r.grads).filter((g) => g !== null)]);
    }
  };
  const stock = read(tf.variableGrads(loss, vars));
  const frugal = read(frugalVariableGrads(loss, vars));
  assert.ok(Object.is(frugal.value, stock.value), `${label}: loss ${frugal.value} vs ${stock.value}`);
  assert.deepEqual([...frugal.grads.keys()].sort(), [...stock.grads.keys()].sort(), `${label}: the same variables get gradients`);
  for (const [name, g] of stock.grads) {
    const f = frugal.grads.get(name)!;
    assert.ok(g.some((v) => v !== 0), `${label}: ${name} has a non-zero gradient`);
    assert.ok(
      f.every((v, i) => Object.is(v, g[i])),
      `${label}: ${name} differs`,
    );
  }
}

/** Peak bytes tfjs holds while `fn` runs (tf.profile), with its results freed. */
async function peakBytes(fn: () => { value: tf.Scalar; grads: tf.NamedTensorMap }): Promise<number> {
  const info = await tf.profile(() => {
    const r = fn();
    tf.dispose([r.value, ...Object.values(r.grads)]);
  });
  return info.peakBytes;
}

describe('frugalVariableGrads', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const rng = new Rng(7);
  const randn = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);

  it('gives tf.variableGrads bits for a graph with reuse, broadcasting, multi-output ops and an unreached variable', async () => {
    const w1 = tf.variable(randn([6, 5]), true, 'fg.w1');
    const b1 = tf.variable(randn([5]), true, 'fg.b1');
    const w2 = tf.variable(randn([5, 4]), true, 'fg.w2');
    const frozen = tf.variable(randn([4]), false, 'fg.frozen');
    const unused = tf.variable(randn([3]), true, 'fg.unused');
    const x = randn([3, 6]);
    try {
      await expectNoLeak(() => {
        const loss: Loss = () => {
          const h = tf.tanh(tf.add(tf.matMul(x, w1), b1));
          // h is used three times: gradients accumulate into one tensor.
          const [left, right] = tf.split(h, [2, 3], 1);
          const mixed = tf.add(tf.matMul(h, w2), frozen);
          // Only one output of unstack reaches the loss: the other gets a zeros dy.
          const [first] = tf.unstack(mixed, 0);
          return tf.add(tf.add(tf.sum(tf.mul(first, first)), tf.sum(left)), tf.mean(tf.square(right))) as tf.Scalar;
        };
        assertSameAsTfjs(loss, [w1, b1, w2, frozen, unused], 'mixed graph');
      }, 'both passes');
    } finally {
      tf.dispose([w1, b1, w2, frozen, unused, x]);
    }
  });

  it('frees a gradient a custom gradient hands back unchanged only once, and keeps a saved tensor it returns', async () => {
    const w = tf.variable(tf.tensor1d([0.5, -2, 3]), true, 'fg.cw');
    const v = tf.variable(tf.tensor1d([4, 5, -6]), true, 'fg.cv');
    // Forward 2a; gradient: dy itself for a (deliberately not 2·dy), and its saved copy of b for b.
    const passThrough = tf.customGrad((...args) => {
      const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([b]);
      return { value: tf.mul(a, 2), gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [dy as tf.Tensor, saved[0]] };
    });
    try {
      await expectNoLeak(() => {
        // loss = sum(passThrough(3w, v) · (w + 1)): dL/dw = 3·(w + 1) (through a) + 2·3w (through w + 1); dL/dv = v.
        const { value, grads } = frugalVariableGrads(() => tf.sum(tf.mul(passThrough(tf.mul(w, 3), v) as tf.Tensor, tf.add(w, 1))) as tf.Scalar, [w, v]);
        try {
          assert.equal(value.dataSync()[0], 2 * 3 * (0.5 * 1.5 + -2 * -1 + 3 * 4));
          assert.deepEqual([...grads[w.name].dataSync()], [3 * 1.5 + 6 * 0.5, 3 * -1 + 6 * -2, 3 * 4 + 6 * 3]);
          assert.deepEqual([...grads[v.name].dataSync()], [4, 5, -6]);
        } finally {
          tf.dispose([value, ...Object.values(grads)]);
        }
      }, 'the pass');
    } finally {
      tf.dispose([w, v]);
    }
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`gives tf.variableGrads bits for the GPT's loss on ${backend}, and peaks lower`, async () => {
      const previous = tf.getBackend();
      if (backend === 'wasm') await initBackend({ name: 'wasm' });
      const options: Partial<GptOptions> = { layers: 3, dim: 16, heads: 2, ffnDim: 48, vocabSize: 11, maxLength: 32 };
      const model = tinyModel(options);
      try {
        randomizeParams(model, 3, 0.3);
        const ids = tf.tensor2d(Array.from({ length: 4 }, (_, r) => Array.from({ length: 32 }, (_, c) => (r * 5 + c * 3) % 11)), undefined, 'int32');
        const weights = tf.ones([4, 32]) as tf.Tensor2D;
        const vars = [...model.params.values()];
        const loss: Loss = () => crossEntropyLoss(model.forward(ids), ids, weights);
        try {
          await expectNoLeak(() => assertSameAsTfjs(loss, vars, `GPT on ${backend}`), 'both passes');
          const stock = await peakBytes(() => tf.variableGrads(loss, vars));
          const frugal = await peakBytes(() => frugalVariableGrads(loss, vars));
          // tfjs holds every activation's gradient to the end: about as much again as the activations.
          assert.ok(frugal < 0.8 * stock, `peak ${frugal} B should be well under tfjs's ${stock} B`);
        } finally {
          tf.dispose([ids, weights]);
        }
      } finally {
        model.dispose();
        await tf.setBackend(previous);
      }
    });
  }

  it('gives tf.variableGrads bits for a loss that takes a gradient itself (a gradient penalty)', async () => {
    const w = tf.variable(randn([5, 3]), true, 'fg.pw');
    const x = randn([4, 5]);
    try {
      await expectNoLeak(() => {
        const loss: Loss = () => {
          const out = (input: tf.Tensor): tf.Scalar => tf.sum(tf.tanh(tf.matMul(input, w)));
          // Penalise the input gradient's norm, as WGAN-GP does: the inner pass runs on the outer tape.
          const dx = tf.grad(out)(x);
          return tf.add(out(x), tf.mul(0.1, tf.sum(tf.square(dx)))) as tf.Scalar;
        };
        assertSameAsTfjs(loss, [w], 'gradient penalty');
      }, 'both passes');
    } finally {
      tf.dispose([w, x]);
    }
  });

  it('defers to tf.variableGrads inside another gradient pass (higher-order gradients)', () => {
    const w = tf.variable(tf.tensor1d([0.5, -1.5]), true, 'fg.hw');
    try {
      // d/dx of (d/dw sum(w³·x)) = d/dx (3w²·x summed) = 3·sum(w²).
      const outer = tf.grad((x: tf.Tensor) => {
        const { value, grads } = frugalVariableGrads(() => tf.sum(tf.mul(tf.mul(tf.mul(w, w), w), x)) as tf.Scalar, [w]);
        value.dispose();
        return tf.sum(grads[w.name]);
      });
      const d = tf.tidy(() => outer(tf.scalar(2)).dataSync()[0]);
      assert.ok(Math.abs(d - 3 * (0.25 + 2.25)) < 1e-5, `got ${d}`);
    } finally {
      w.dispose();
    }
  });

  it('reports a non-scalar loss, no trainable variable and an unreached loss, leaking nothing', async () => {
    const w = tf.variable(tf.ones([3]), true, 'fg.ew');
    const frozen = tf.variable(tf.ones([3]), false, 'fg.ef');
    try {
      await expectNoLeak(() => {
        assert.throws(() => frugalVariableGrads(() => tf.mul(w, 2) as unknown as tf.Scalar, [w]), /must return a scalar tensor, got a rank-1 tensor/);
        assert.throws(() => frugalVariableGrads(() => tf.sum(frozen) as tf.Scalar, [frozen]), /none of the 1 variables given is trainable/);
        assert.throws(
          () => frugalVariableGrads(() => tf.sum(tf.mul(frozen, 2)) as tf.Scalar, [w]),
          (e: unknown) => e instanceof DisconnectedLossError && /does not depend on any trainable variable/.test(e.message),
        );
        assert.throws(
          () =>
            frugalVariableGrads(() => {
              tf.mul(w, 2);
              throw new Error('loss failed');
            }, [w]),
          /loss failed/,
        );
      }, 'failed passes');
      assert.equal(tf.engine().state.activeTape, null, 'no tape is left behind');
    } finally {
      tf.dispose([w, frozen]);
    }
  });
});
