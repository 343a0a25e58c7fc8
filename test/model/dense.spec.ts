import * as tf from '@tensorflow/tfjs';
import { geluTanh, layerNorm, linear, rmsNorm, silu, sumRows } from '../../src/model';
import { Rng } from '../../src/random';
import { assertClose } from '../support/tensors';

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

describe('dense ops', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('linear: explicit-transpose gradients equal plain autodiff (plain and transposed weight, with bias)', () => {
    const rng = new Rng(3);
    tf.tidy(() => {
      const x = randomTensor([5, 4], rng) as tf.Tensor2D;
      const w = randomTensor([4, 3], rng) as tf.Tensor2D;
      const wt = randomTensor([3, 4], rng) as tf.Tensor2D;
      const b = randomTensor([3], rng) as tf.Tensor1D;
      const probe = randomTensor([5, 3], rng);
      for (const transposeWeight of [false, true]) {
        const weight = transposeWeight ? wt : w;
        const f = (explicit: boolean) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
          tf.sum(tf.mul(linear(xx as tf.Tensor2D, ww as tf.Tensor2D, { bias: bb as tf.Tensor1D, transposeWeight, explicitTranspose: explicit }), probe));
        const fast = tf.grads(f(true))([x, weight, b]);
        const plain = tf.grads(f(false))([x, weight, b]);
        fast.forEach((g, i) => assertClose(g.dataSync(), plain[i].dataSync(), 1e-5, `grad ${i}, transposed=${transposeWeight}`));
        assertClose(f(true)(x, weight, b).dataSync(), f(false)(x, weight, b).dataSync(), 1e-5);
      }
      assertClose(sumRows(x).dataSync(), tf.sum(x, 0).dataSync(), 1e-6, 'sumRows');
    });
  });

  it('norms: explicit gain/bias gradients equal plain autodiff', () => {
    const rng = new Rng(4);
    tf.tidy(() => {
      const x = randomTensor([6, 5], rng) as tf.Tensor2D;
      const g = randomTensor([5], rng) as tf.Tensor1D;
      const b = randomTensor([5], rng) as tf.Tensor1D;
      const probe = randomTensor([6, 5], rng);
      const ln = (explicit: boolean) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.mul(layerNorm(xx as tf.Tensor2D, gg as tf.Tensor1D, bb as tf.Tensor1D, { eps: 1e-5, explicitTranspose: explicit }), probe));
      const rms = (explicit: boolean) => (xx: tf.Tensor, gg: tf.Tensor) =>
        tf.sum(tf.mul(rmsNorm(xx as tf.Tensor2D, gg as tf.Tensor1D, { eps: 1e-6, explicitTranspose: explicit }), probe));
      tf.grads(ln(true))([x, g, b]).forEach((t, i) => assertClose(t.dataSync(), tf.grads(ln(false))([x, g, b])[i].dataSync(), 1e-5, `ln ${i}`));
      tf.grads(rms(true))([x, g]).forEach((t, i) => assertClose(t.dataSync(), tf.grads(rms(false))([x, g])[i].dataSync(), 1e-5, `rms ${i}`));
    });
  });

  it('geluTanh equals GPT-2 gelu_new 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))', () => {
    const xs = Array.from({ length: 41 }, (_, i) => -8 + i * 0.4);
    const expected = xs.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
    tf.tidy(() => assertClose(geluTanh(tf.tensor1d(xs)).dataSync(), expected, 1e-6));
  });

  it('geluTanh and silu gradients equal autodiff of their textbook forms', () => {
    const xs = Array.from({ length: 41 }, (_, i) => -8 + i * 0.4);
    tf.tidy(() => {
      const x = tf.tensor1d(xs);
      const probe = tf.linspace(-1, 2, xs.length);
      const viaTanh = (v: tf.Tensor) => tf.mul(tf.mul(v, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(v, tf.mul(tf.mul(tf.mul(v, v), v), 0.044715)), Math.sqrt(2 / Math.PI)))));
      const viaExp = (v: tf.Tensor) => tf.div(v, tf.add(1, tf.exp(tf.neg(v))));
      const g = (f: (v: tf.Tensor) => tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), probe)))(x).dataSync();
      assertClose(g(geluTanh), g(viaTanh), 1e-5, 'gelu grad');
      assertClose(g(silu), g(viaExp), 1e-5, 'silu grad');
      assertClose(silu(x).dataSync(), viaExp(x).dataSync(), 1e-6, 'silu');
    });
  });
});
