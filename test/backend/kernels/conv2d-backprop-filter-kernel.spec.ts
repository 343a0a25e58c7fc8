import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { assertLayersGradsMatchCpu, numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Case = { x: [number, number, number, number]; filter: [number, number, number, number]; strides: number | [number, number]; pad: Pad };

/** dW of `sum(conv2d(x, filter) * weights)`: the gradient tfjs asks `Conv2DBackpropFilter` for. */
function filterGrad(c: Case, seed: number): () => tf.Tensor {
  const rng = new Rng(seed);
  const x = randomValues(rng, c.x.reduce((a, b) => a * b, 1));
  const filter = randomValues(rng, c.filter.reduce((a, b) => a * b, 1));
  const outShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
  const weights = randomValues(rng, outShape.reduce((a, b) => a * b, 1));
  return () =>
    tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(tf.tensor4d(x, c.x), f as tf.Tensor4D, c.strides, c.pad), tf.tensor(weights, outShape))))(
      tf.tensor4d(filter, c.filter),
    );
}

/** Runs the kernel op directly (tfjs's conv2d gradient never passes dilations). */
function backpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { dataFormat: 'NHWC', dimRoundingMode: undefined, ...attrs } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

describe('Conv2DBackpropFilter wasm kernel', () => {
  useWasmBackend({ kernels: 'js' });

  const cases: Record<string, Case> = {
    'stride 1, valid, batch 3, odd sizes': { x: [3, 7, 5, 3], filter: [3, 2, 3, 4], strides: 1, pad: 'valid' },
    'stride 1, same, odd filter': { x: [2, 5, 7, 2], filter: [3, 3, 2, 5], strides: 1, pad: 'same' },
    // 6 input channels and 11-wide rows: blocks of 4 channels x 4 positions plus leftovers of each.
    'stride 1, same, 6 input channels, wide rows': { x: [2, 5, 11, 6], filter: [3, 3, 6, 5], strides: 1, pad: 'same' },
    'stride 2, same, even filter': { x: [2, 9, 6, 3], filter: [2, 4, 3, 2], strides: 2, pad: 'same' },
    'stride 2, valid, odd sizes': { x: [3, 9, 7, 1], filter: [3, 3, 1, 3], strides: 2, pad: 'valid' },
    // A numeric pad needs a square filter and equal strides: tfjs sizes both axes from the height (tensorflow/tfjs#649; numeric-pad-guard.ts).
    'stride 2, numeric pad 1, square filter': { x: [2, 6, 7, 2], filter: [3, 3, 2, 3], strides: 2, pad: 1 },
    'explicit padding': {
      x: [2, 5, 6, 2],
      filter: [2, 3, 2, 2],
      strides: [2, 1],
      pad: [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
    },
    'conv1d shape (height 1)': { x: [4, 1, 11, 3], filter: [1, 3, 3, 4], strides: 1, pad: 'valid' },
  };
  Object.entries(cases).forEach(([name, c], i) => {
    it(`gives cpu's filter gradient of tf.conv2d: ${name}`, async () => {
      const grad = filterGrad(c, 40 + i);
      const [expected] = await runOn('cpu', grad);
      const [actual] = await runOn('wasm', grad);
      assert.deepEqual(actual.shape, c.filter);
      assertClose(actual.values, expected.values, 1e-4, name);
    });
  });

  it('handles dilation 2: equals the undilated gradient of the spread-out filter, every second tap', async () => {
    for (const [pad, strides] of [
      ['valid', 1],
      ['same', 1],
      [1, 1],
    ] as const) {
      // tfjs allows dilation only with stride 1.
      const rng = new Rng(50);
      const xShape: [number, number, number, number] = [2, 9, 8, 2];
      const filterShape: [number, number, number, number] = [3, 2, 2, 3];
      const dilated: [number, number, number, number] = [5, 3, 2, 3]; // (k - 1) * 2 + 1
      const x = randomValues(rng, 2 * 9 * 8 * 2);
      const outShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 2, pad).outShape;
      const dy = randomValues(rng, outShape.reduce((a, b) => a * b, 1));
      const [spread] = await runOn('cpu', () => backpropFilter(tf.tensor4d(x, xShape), tf.tensor4d(dy, outShape), { strides, pad, filterShape: dilated }));
      const expected = tf.tidy(() => tf.tensor4d(spread.values as Float32Array, dilated).stridedSlice([0, 0, 0, 0], dilated, [2, 2, 1, 1]).dataSync());
      const [actual] = await runOn('wasm', () => backpropFilter(tf.tensor4d(x, xShape), tf.tensor4d(dy, outShape), { strides, pad, filterShape, dilations: 2 }));
      assert.deepEqual(actual.shape, filterShape);
      assertClose(actual.values, expected, 1e-4, `dilation 2, ${pad}, stride ${strides}`);
    }
  });

  it('refuses NCHW and a dy of the wrong shape with what was given and what is allowed', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 2, 5, 5]) as tf.Tensor4D;
      const dy = tf.zeros([1, 3, 4, 4]) as tf.Tensor4D;
      assert.throws(() => backpropFilter(x, dy, { strides: 1, pad: 'valid', filterShape: [2, 2, 2, 3], dataFormat: 'NCHW' }), /Conv2DBackpropFilter on wasm: dataFormat 'NCHW' is not supported; allowed: 'NHWC'/);
      const nhwc = tf.zeros([1, 5, 5, 2]) as tf.Tensor4D;
      assert.throws(() => backpropFilter(nhwc, tf.zeros([1, 3, 3, 3]) as tf.Tensor4D, { strides: 1, pad: 'valid', filterShape: [2, 2, 2, 3] }), /dy has shape \[1, 3, 3, 3\], expected \[1, 4, 4, 3\]/);
    });
  });

  it('leaks no tensors or heap buffers', async () => {
    const x = tf.randomNormal([2, 6, 5, 3]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 2, 3, 2]) as tf.Tensor4D;
    try {
      const ids = numDataIds();
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 2, 'same')))(filter);
        });
      }, 'conv2d filter gradient');
      assert.equal(numDataIds(), ids, 'data buffers');
    } finally {
      tf.dispose([x, filter]);
    }
  });

  it('lets a conv1d + conv2d tf.layers model train on wasm with the gradients cpu gives', async () => {
    const rng = new Rng(60);
    const features = randomValues(rng, 5 * 12);
    const labels = Int32Array.from({ length: 5 }, (_, i) => i % 3);
    await assertLayersGradsMatchCpu(
      () =>
        tf.sequential({
          layers: [
            tf.layers.reshape({ targetShape: [12, 1], inputShape: [12] }),
            tf.layers.conv1d({ filters: 3, kernelSize: 3, strides: 2, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
            tf.layers.reshape({ targetShape: [5, 3, 1] }),
            tf.layers.conv2d({ filters: 2, kernelSize: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
          ],
        }),
      features,
      [5, 12],
      labels,
      { label: 'conv2d kernel', accepts: (name) => name.includes('conv2d') && name.endsWith('kernel') },
    );
  });
});
