import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu' | 'prelu';
const ACTIVATIONS: Activation[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'];

interface FusedCase {
  batch: number[];
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Bias shape, or undefined for no bias. */
  biasShape?: number[];
  activation: Activation;
}

/** Builds the inputs of a case from a seeded stream and returns an op that runs it. */
function fusedOp(rng: Rng, c: FusedCase): () => tf.Tensor {
  const aShape = [...c.batch, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
  const bShape = [...c.batch, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
  const aValues = randomValues(rng, tf.util.sizeFromShape(aShape));
  const bValues = randomValues(rng, tf.util.sizeFromShape(bShape));
  const biasValues = c.biasShape === undefined ? undefined : randomValues(rng, tf.util.sizeFromShape(c.biasShape));
  const preluValues = randomValues(rng, c.n).map((v) => Math.abs(v) * 0.3);
  return () =>
    tf.fused.matMul({
      a: tf.tensor(aValues, aShape),
      b: tf.tensor(bValues, bShape),
      transposeA: c.transposeA,
      transposeB: c.transposeB,
      bias: biasValues === undefined ? undefined : tf.tensor(biasValues, c.biasShape),
      activation: c.activation,
      preluActivationWeights: c.activation === 'prelu' ? tf.tensor1d(preluValues) : undefined,
      leakyreluAlpha: 0.15,
    });
}

async function checkAgainstCpu(rng: Rng, c: FusedCase): Promise<void> {
  const op = fusedOp(rng, c);
  const [expected] = await runOn('cpu', op);
  const [actual] = await runOn('wasm', op);
  const label = JSON.stringify(c);
  assert.deepEqual(actual.shape, expected.shape, label);
  assertClose(actual.values, expected.values, 1e-4, label);
}

describe('_FusedMatMul wasm override', () => {
  useWasmBackend({ kernels: 'js' });

  it('matches cpu with a bias plus transposeA/transposeB (where the stock wasm kernel is wrong)', async () => {
    const rng = new Rng(11);
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        for (const activation of ['linear', 'relu'] as Activation[]) {
          await checkAgainstCpu(rng, { batch: [], m: 13, k: 9, n: 7, transposeA, transposeB, biasShape: [7], activation });
        }
      }
    }
  });

  it('matches cpu for every activation, batched operands and odd sizes', async () => {
    const rng = new Rng(12);
    for (const activation of ACTIVATIONS) {
      await checkAgainstCpu(rng, { batch: [3], m: 5, k: 11, n: 9, transposeA: true, transposeB: false, biasShape: [9], activation });
      await checkAgainstCpu(rng, { batch: [], m: 17, k: 3, n: 6, transposeA: false, transposeB: true, biasShape: [6], activation });
      await checkAgainstCpu(rng, { batch: [2], m: 4, k: 5, n: 3, transposeA: true, transposeB: true, activation });
    }
  });

  it('matches cpu for bias shapes XNNPACK cannot take ([1, N] fused; [M, N], [1] and [B, 1, N] added after)', async () => {
    const rng = new Rng(13);
    const biasShapes = [[1, 6], [5, 6], [1], [2, 1, 6]];
    for (const biasShape of biasShapes) {
      for (const activation of ['linear', 'relu6', 'sigmoid'] as Activation[]) {
        await checkAgainstCpu(rng, { batch: [2], m: 5, k: 4, n: 6, transposeA: false, transposeB: true, biasShape, activation });
      }
    }
  });

  it('gives the same gradients as cpu through bias and activation', async () => {
    const rng = new Rng(14);
    const aValues = randomValues(rng, 2 * 7 * 5);
    const bValues = randomValues(rng, 2 * 6 * 7);
    const biasValues = randomValues(rng, 6);
    const grads = (): tf.Tensor[] =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.matMul({ a, b, bias, transposeA: true, transposeB: true, activation: 'relu' }))),
      )([tf.tensor(aValues, [2, 7, 5]), tf.tensor(bValues, [2, 6, 7]), tf.tensor1d(biasValues)]);
    const expected = await runOn('cpu', grads);
    const actual = await runOn('wasm', grads);
    for (let i = 0; i < 3; i++) assertClose(actual[i].values, expected[i].values, 1e-3, `grad ${i}`);
  });

  it('leaks no tensors and no backend buffers on fused and unfused epilogues', async () => {
    const a = tf.randomNormal([2, 4, 5]);
    const b = tf.randomNormal([2, 5, 3]);
    const colBias = tf.randomNormal([3]);
    const fullBias = tf.randomNormal([4, 3]);
    try {
      const buffersBefore = numDataIds();
      await expectNoLeak(() => {
        for (const bias of [undefined, colBias, fullBias]) {
          for (const activation of ['linear', 'relu', 'elu'] as Activation[]) {
            tf.tidy(() => {
              tf.fused.matMul({ a, b, bias, activation });
            });
          }
        }
      }, 'fused matMul');
      assert.equal(numDataIds(), buffersBefore);
    } finally {
      tf.dispose([a, b, colBias, fullBias]);
    }
  });
});
