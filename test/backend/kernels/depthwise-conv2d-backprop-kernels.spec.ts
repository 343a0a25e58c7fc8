import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose, expectNoLeak } from '../../support/tensors';
import { assertLayersGradsMatchCpu, numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

type Pad = 'valid' | 'same' | number;
type Shape4 = [number, number, number, number];
type Case = { x: Shape4; filter: Shape4; strides: number; dilations: number; pad: Pad };

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

describe('DepthwiseConv2dNative backprop wasm kernels', () => {
  useWasmBackend({ kernels: 'js' });

  const cases: Record<string, Case> = {
    'stride 1, valid, batch 3, odd sizes, multiplier 2': { x: [3, 7, 5, 3], filter: [3, 2, 3, 2], strides: 1, dilations: 1, pad: 'valid' },
    // 11-wide rows: runs of four positions plus leftovers on the multiplier-1 paths.
    'stride 1, same, multiplier 1, wide rows': { x: [2, 5, 11, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 1, pad: 'same' },
    'stride 2, same, multiplier 1': { x: [2, 9, 6, 4], filter: [2, 3, 4, 1], strides: 2, dilations: 1, pad: 'same' },
    'stride 2, valid, multiplier 3': { x: [2, 8, 7, 2], filter: [3, 3, 2, 3], strides: 2, dilations: 1, pad: 'valid' },
    'dilation 2, same': { x: [2, 9, 8, 2], filter: [3, 2, 2, 2], strides: 1, dilations: 2, pad: 'same' },
    'dilation 2, numeric pad 1': { x: [2, 7, 9, 3], filter: [2, 3, 3, 1], strides: 1, dilations: 2, pad: 1 },
  };
  Object.entries(cases).forEach(([name, c], i) => {
    it(`gives cpu's filter and input gradients: ${name}`, async () => {
      const rng = new Rng(70 + i);
      const x = randomValues(rng, size(c.x));
      const filter = randomValues(rng, size(c.filter));
      const outShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations, c.pad, undefined, true).outShape;
      const dy = randomValues(rng, size(outShape));
      const op =
        (dilations: number, filterShape: Shape4, filterValues: Float32Array) =>
        (): tf.Tensor[] => {
          const attrs = { strides: c.strides, dilations, pad: c.pad };
          return [
            tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor4d(x, c.x), dy: tf.tensor4d(dy, outShape) }, { ...attrs, filterShape }) as tf.Tensor,
            tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tf.tensor4d(dy, outShape), filter: tf.tensor4d(filterValues, filterShape) }, { ...attrs, inputShape: c.x }) as tf.Tensor,
          ];
        };
      const actual = await runOn('wasm', op(c.dilations, c.filter, filter));
      // cpu's kernels index the filter undilated, so the reference spreads the taps out with zeros
      // between them (dilation 1) and keeps every `dilations`-th tap of dW.
      const d = c.dilations;
      const [fh, fw, ci, mul] = c.filter;
      const spreadShape: Shape4 = [(fh - 1) * d + 1, (fw - 1) * d + 1, ci, mul];
      const spread = new Float32Array(size(spreadShape));
      const taps = ci * mul;
      for (let r = 0; r < fh; r++) for (let col = 0; col < fw; col++) spread.set(filter.subarray((r * fw + col) * taps, (r * fw + col + 1) * taps), (r * d * spreadShape[1] + col * d) * taps);
      const expected = await runOn('cpu', () => {
        const [dW, dx] = op(1, spreadShape, spread)();
        return [dW.stridedSlice([0, 0, 0, 0], spreadShape, [d, d, 1, 1]), dx];
      });
      assert.deepEqual(actual[0].shape, c.filter);
      assert.deepEqual(actual[1].shape, c.x);
      assertClose(actual[0].values, expected[0].values, 1e-4, `${name}: dW`);
      assertClose(actual[1].values, expected[1].values, 1e-4, `${name}: dx`);
    });
  });

  it('refuses a dy of the wrong shape, naming the expected one', () => {
    tf.tidy(() => {
      const attrs = { strides: 1, dilations: 1, pad: 'valid', filterShape: [2, 2, 2, 1] } as unknown as tf.NamedAttrMap;
      assert.throws(
        () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.zeros([1, 5, 5, 2]), dy: tf.zeros([1, 3, 3, 2]) }, attrs),
        /DepthwiseConv2dNativeBackpropFilter on wasm: dy has shape \[1, 3, 3, 2\], expected \[1, 4, 4, 2\]/,
      );
    });
  });

  it('leaks no tensors or heap buffers', async () => {
    const x = tf.randomNormal([2, 6, 5, 3]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 2, 3, 2]) as tf.Tensor4D;
    try {
      const ids = numDataIds();
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')))([x, filter]);
        });
      }, 'depthwiseConv2d gradients');
      assert.equal(numDataIds(), ids, 'data buffers');
    } finally {
      tf.dispose([x, filter]);
    }
  });

  it('lets a depthwiseConv2d + separableConv2d tf.layers model train on wasm with the gradients cpu gives', async () => {
    const rng = new Rng(80);
    const features = randomValues(rng, 4 * 7 * 6 * 2);
    const labels = Int32Array.from({ length: 4 }, (_, i) => i % 3);
    await assertLayersGradsMatchCpu(
      () =>
        tf.sequential({
          layers: [
            tf.layers.depthwiseConv2d({ inputShape: [7, 6, 2], kernelSize: 3, depthMultiplier: 2, activation: 'tanh', depthwiseInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
            tf.layers.separableConv2d({
              filters: 3,
              kernelSize: 2,
              padding: 'same',
              depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }),
              pointwiseInitializer: tf.initializers.glorotUniform({ seed: 3 }),
            }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
          ],
        }),
      features,
      [4, 7, 6, 2],
      labels,
      { label: 'depthwise kernel', accepts: (name) => name.includes('depthwise_kernel') },
    );
  });
});
