import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { frugalVariableGrads } from '../../src/autograd';
import { initBackend } from '../../src/backend';
import { crossEntropyLoss, GptModel, type GptOptions } from '../../src/model';
import { LayersModelAdapter } from '../../src/model/layers-model';
import { MlpModel } from '../../src/model/mlp-model';
import { Rng } from '../../src/random';
import { randomizeParams } from '../model/helpers';
import { expectNoLeak } from '../support/tensors';

type Loss = () => tf.Scalar;
type Grads = { value: tf.Scalar; grads: tf.NamedTensorMap };

/** The loss and gradients read back, then freed. */
function read(r: Grads): { value: number; grads: Map<string, Float32Array> } {
  try {
    return { value: r.value.dataSync()[0], grads: new Map(Object.entries(r.grads).map(([k, g]) => [k, g.dataSync() as Float32Array])) };
  } finally {
    tf.dispose([r.value, ...Object.values(r.grads)]);
  }
}

/** Runs tf.variableGrads then frugalVariableGrads (each checked for leaks on its own) and asserts the same bits. */
async function assertSameAsTfjs(loss: Loss, vars: tf.Variable[], label: string): Promise<void> {
  const stock = await expectNoLeak(() => read(tf.variableGrads(loss, vars)), `${label}: tf.variableGrads`);
  const frugal = await expectNoLeak(() => read(frugalVariableGrads(loss, vars)), `${label}: frugalVariableGrads`);
  assert.ok(Object.is(frugal.value, stock.value), `${label}: loss ${frugal.value} vs ${stock.value}`);
  assert.deepEqual([...frugal.grads.keys()].sort(), [...stock.grads.keys()].sort(), `${label}: the same variables get gradients`);
  assert.ok(stock.grads.size > 0, `${label}: some gradient`);
  for (const [name, g] of stock.grads) {
    const f = frugal.grads.get(name)!;
    assert.ok(g.some((v) => v !== 0), `${label}: ${name} has a non-zero gradient`);
    const at = f.findIndex((v, i) => !Object.is(v, g[i]));
    assert.equal(at, -1, `${label}: ${name} differs at ${at}: ${f[at]} vs ${g[at]}`);
  }
}

/** Asserts tf.variableGrads and frugalVariableGrads both throw `expected`, the latter leaking nothing. */
async function assertSameFailure(loss: Loss, vars: tf.Variable[], expected: RegExp, label: string): Promise<void> {
  const failure = (fn: () => Grads): string => {
    try {
      tf.dispose(Object.values(fn()));
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  };
  const stock = failure(() => tf.variableGrads(loss, vars));
  assert.match(stock, expected, `${label}: tf.variableGrads`);
  const frugal = await expectNoLeak(() => failure(() => frugalVariableGrads(loss, vars)), `${label}: frugalVariableGrads`);
  assert.match(frugal, expected, `${label}: frugalVariableGrads threw: ${frugal}`);
}

/** Runs `fn` on `backend` (cpu, or wasm through Floe's initBackend), then restores the previous backend. */
async function onBackend(backend: 'cpu' | 'wasm', fn: () => Promise<void>): Promise<void> {
  const previous = tf.getBackend();
  if (backend === 'wasm') await initBackend({ name: 'wasm' });
  else await tf.setBackend('cpu');
  try {
    await fn();
  } finally {
    await tf.setBackend(previous);
  }
}

/** Softmax cross-entropy against one-hot labels built from int32 class ids, as the supervised trainer's loss does. */
function classLoss(logits: tf.Tensor2D, classIds: tf.Tensor1D): tf.Scalar {
  const q = tf.cast(tf.oneHot(classIds, logits.shape[1]), 'float32');
  return tf.neg(tf.mean(tf.sum(tf.mul(q, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

function randn(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

/** A tfjs sequential model of `layers` as the trainer sees it. */
function layersModel(layers: tf.layers.Layer[]): LayersModelAdapter {
  return new LayersModelAdapter(tf.sequential({ layers }));
}

/** Sequential models users stack in a `layers` recipe, each taking [N, 16] features and giving 3 logits. */
const LAYER_STACKS: Record<string, () => tf.layers.Layer[]> = {
  'dense, seeded dropout, batchNormalization': () => [
    tf.layers.dense({ name: 'd0', units: 12, activation: 'relu', inputShape: [16], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.dropout({ name: 'drop', rate: 0.3, seed: 5 }),
    tf.layers.batchNormalization({ name: 'bn' }),
    tf.layers.dense({ name: 'd1', units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  ],
  'conv1d and conv2d with pooling': () => [
    tf.layers.reshape({ name: 'r0', targetShape: [16, 1], inputShape: [16] }),
    tf.layers.conv1d({ name: 'c1', filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    tf.layers.reshape({ name: 'r1', targetShape: [14, 4, 1] }),
    tf.layers.conv2d({ name: 'c2', filters: 2, kernelSize: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    tf.layers.maxPooling2d({ name: 'p2', poolSize: 2 }),
    tf.layers.flatten({ name: 'f' }),
    tf.layers.dense({ name: 'out', units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
  ],
  'embedding and LSTM': () => [
    tf.layers.embedding({ name: 'emb', inputDim: 10, outputDim: 6, inputShape: [16], embeddingsInitializer: tf.initializers.randomNormal({ seed: 6 }) }),
    tf.layers.lstm({ name: 'lstm', units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
    tf.layers.dense({ name: 'out', units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }),
  ],
  'embedding and GRU': () => [
    tf.layers.embedding({ name: 'emb', inputDim: 10, outputDim: 6, inputShape: [16], embeddingsInitializer: tf.initializers.randomNormal({ seed: 6 }) }),
    tf.layers.gru({ name: 'gru', units: 5, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
    tf.layers.flatten({ name: 'f' }),
    tf.layers.dense({ name: 'out', units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }),
  ],
};

/** GPT variants the gpt model factory builds. */
const GPT_VARIANTS: Record<string, Partial<GptOptions>> = {
  'Llama-style (rmsnorm, rope, swiglu, no bias)': { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false },
  'tied embeddings': { tieEmbeddings: true },
  'dropout 0.2': { dropout: 0.2 },
};

describe('frugalVariableGrads on the shipped models', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    describe(`on ${backend}`, () => {
      it('gives tf.variableGrads bits for the MLP in training mode with dropout, against one-hot labels', async () => {
        await onBackend(backend, async () => {
          const model = new MlpModel({ inputSize: 6, outputSize: 4, hidden: [10, 8], activation: 'gelu', dropout: 0.25, outputActivation: 'linear' }, new Rng(3));
          const rng = new Rng(11);
          const x = randn(rng, [9, 6]) as tf.Tensor2D;
          const labels = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 1], 'int32');
          try {
            const loss: Loss = () => classLoss(model.predict(x, { training: true, dropoutSeed: 1234 }), labels);
            await assertSameAsTfjs(loss, [...model.params.values()], `MLP on ${backend}`);
          } finally {
            tf.dispose([x, labels]);
            model.dispose();
          }
        });
      });

      for (const [name, stack] of Object.entries(LAYER_STACKS)) {
        it(`gives tf.variableGrads bits for a tf.layers model: ${name}`, async () => {
          await onBackend(backend, async () => {
            const model = layersModel(stack());
            const rng = new Rng(12);
            // Whole numbers in [0, 10): features for dense/conv, token ids for the embedding.
            const x = tf.tensor2d(Float32Array.from({ length: 8 * 16 }, () => rng.int(10)), [8, 16]);
            const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
            try {
              const loss: Loss = () => classLoss(model.predict(x, { training: true }), labels);
              await assertSameAsTfjs(loss, [...model.params.values()], `${name} on ${backend}`);
            } finally {
              tf.dispose([x, labels]);
              model.dispose();
            }
          });
        });
      }

      for (const [name, options] of Object.entries(GPT_VARIANTS)) {
        it(`gives tf.variableGrads bits for the GPT, ${name}, in training mode`, async () => {
          await onBackend(backend, async () => {
            const model = new GptModel({ vocabSize: 11, maxLength: 16, layers: 2, heads: 2, dim: 16, ffnDim: 24, ...options }, new Rng(4));
            randomizeParams(model, 5, 0.3);
            const ids = tf.tensor2d(Array.from({ length: 3 }, (_, r) => Array.from({ length: 16 }, (_, c) => (r * 7 + c * 3) % 11)), undefined, 'int32');
            const weights = tf.ones([3, 16]) as tf.Tensor2D;
            try {
              // As the LM trainer does: one seed per step drawn from its RNG, the same for both passes here.
              const dropoutSeed = new Rng(9).int(2 ** 31);
              const loss: Loss = () => crossEntropyLoss(model.forward(ids, { training: true, dropoutSeed }), ids, weights);
              await assertSameAsTfjs(loss, [...model.params.values()], `GPT ${name} on ${backend}`);
            } finally {
              tf.dispose([ids, weights]);
              model.dispose();
            }
          });
        });
      }

      it('gives tf.variableGrads bits through gather with int32 indices, oneHot, where and a custom gradient', async () => {
        await onBackend(backend, async () => {
          const rng = new Rng(13);
          const table = tf.variable(randn(rng, [7, 4]), true, 'fgm.table');
          const w = tf.variable(randn(rng, [4, 3]), true, 'fgm.w');
          const indices = tf.tensor1d([3, 0, 6, 3, 1], 'int32');
          const labels = tf.tensor1d([2, 0, 1, 1, 2], 'int32');
          const mask = tf.tensor2d([1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1], [5, 4], 'bool');
          // Forward: x²; gradient: 2x·dy, from its saved input.
          const square = tf.customGrad((...args) => {
            const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
            save([x]);
            return { value: tf.square(x), gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.mul(tf.mul(dy as tf.Tensor, saved[0]), 2) };
          });
          try {
            const loss: Loss = () => {
              const rows = tf.gather(table, indices);
              const h = tf.where(mask, square(rows) as tf.Tensor, rows);
              return classLoss(tf.matMul(h, w) as tf.Tensor2D, labels);
            };
            await assertSameAsTfjs(loss, [table, w], `gather/where/customGrad on ${backend}`);
          } finally {
            tf.dispose([table, w, indices, labels, mask]);
          }
        });
      });

      it('fails as tf.variableGrads does through an op with no gradient (a comparison on the path), leaking nothing', async () => {
        await onBackend(backend, async () => {
          const w = tf.variable(tf.tensor1d([0.5, -1, 2]), true, 'fgm.gw');
          try {
            const loss: Loss = () => tf.sum(tf.where(tf.greater(w, 0), tf.square(w), w));
            await assertSameFailure(loss, [w], /gradient function not found for Greater|through Greater: tfjs has no gradient registered/, `Greater on ${backend}`);
          } finally {
            w.dispose();
          }
        });
      });
    });
  }

  it('leaves alone a tensor a custom gradient returns that it did not make (a captured input, a variable)', async () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]), true, 'fgm.cw');
    const v = tf.variable(tf.tensor1d([-1, 0.5, 4]), true, 'fgm.cv');
    const constant = tf.tensor1d([10, 20, 30]);
    // Forward a·b; a hand-written gradient that hands back tensors from outside the pass:
    // a constant for a, and the variable v itself for b.
    const product = tf.customGrad((...args) => {
      const [a, b] = args as [tf.Tensor, tf.Tensor];
      return { value: tf.mul(a, b), gradFunc: () => [constant, v] };
    });
    try {
      const loss: Loss = () => tf.sum(product(tf.mul(w, 2), tf.add(v, 1)) as tf.Tensor) as tf.Scalar;
      await assertSameAsTfjs(loss, [w, v], 'captured gradients');
      assert.ok(!v.isDisposed && !constant.isDisposed, 'the variable and the constant outlive the pass');
      assert.deepEqual([...v.dataSync()], [-1, 0.5, 4]);
      assert.deepEqual([...constant.dataSync()], [10, 20, 30]);
    } finally {
      tf.dispose([w, v, constant]);
    }
  });
});
