import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

type Shape4 = [number, number, number, number];
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

describe('numeric-pad guard on the stock wasm conv/pool kernels', () => {
  useWasmBackend();

  // tfjs sizes both output axes from the filter height and stride height when pad is a number
  // (tensorflow/tfjs#649); stock wasm then wrote past its output buffer and a later op aborted.
  const refused: Array<[string, () => tf.Tensor, RegExp]> = [
    ['conv2d, 3x2 filter, dilation 2', () => tf.conv2d(tf.ones([2, 9, 8, 2]) as tf.Tensor4D, tf.ones([3, 2, 2, 3]) as tf.Tensor4D, 1, 1, 'NHWC', 2), /Conv2D on wasm: numeric pad 1 with a 3x2 filter \(dilations 2x2, effective 5x3\).*output width .* as 6, but it is 8/],
    ['conv2d, 3x2 filter', () => tf.conv2d(tf.ones([2, 9, 8, 2]) as tf.Tensor4D, tf.ones([3, 2, 2, 3]) as tf.Tensor4D, 1, 1), /Conv2D on wasm: numeric pad 1 .* as 8, but it is 9/],
    ['conv2d, 3x3 filter, strides [1, 2]', () => tf.conv2d(tf.ones([1, 6, 7, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, [1, 2], 1), /Conv2D on wasm: .*strides 1x2/],
    ['fused conv2d', () => tf.fused.conv2d({ x: tf.ones([1, 9, 8, 2]) as tf.Tensor4D, filter: tf.ones([3, 2, 2, 3]) as tf.Tensor4D, strides: 1, pad: 0, bias: tf.ones([3]), activation: 'relu' }), /FusedConv2D on wasm: numeric pad 0/],
    ['depthwiseConv2d', () => tf.depthwiseConv2d(tf.ones([1, 9, 8, 2]) as tf.Tensor4D, tf.ones([3, 2, 2, 1]) as tf.Tensor4D, 1, 1), /DepthwiseConv2dNative on wasm: numeric pad 1/],
    ['maxPool, 3x2 window', () => tf.maxPool(tf.ones([1, 9, 8, 2]) as tf.Tensor4D, [3, 2], 1, 1), /MaxPool on wasm: numeric pad 1 with a 3x2 filter/],
    ['avgPool, 3x2 window', () => tf.avgPool(tf.ones([1, 9, 8, 2]) as tf.Tensor4D, [3, 2], 1, 1), /AvgPool on wasm: numeric pad 1 with a 3x2 filter/],
  ];
  refused.forEach(([name, op, message]) => {
    it(`refuses a numeric pad tfjs sizes wrongly, naming the workaround: ${name}`, () => {
      const ids = numDataIds();
      tf.tidy(() => {
        assert.throws(op, (e: Error) => message.test(e.message) && /tensorflow\/tfjs#649/.test(e.message) && /explicit padding \[\[0, 0\], \[\d, \d\], \[\d, \d\], \[0, 0\]\]/.test(e.message));
      });
      assert.equal(numDataIds(), ids, 'data buffers');
      // The heap is intact: ops after the refusal still run (they aborted before the guard).
      tf.tidy(() => {
        for (let i = 0; i < 20; i++) tf.sum(tf.square(tf.add(tf.ones([64, 64]), tf.ones([64, 64])))).dataSync();
      });
    });
  });

  const allowed: Array<[string, Shape4, Shape4, number | [number, number], 'valid' | 'same' | number | tf.backend_util.ExplicitPadding, number]> = [
    ['numeric pad, square filter', [2, 9, 8, 2], [3, 3, 2, 3], 1, 1, 1],
    ['numeric pad, square filter, dilation 2', [2, 9, 8, 2], [2, 2, 2, 3], 1, 2, 2],
    ['explicit padding (the workaround), 3x2 filter, dilation 2', [2, 9, 8, 2], [3, 2, 2, 3], 1, [[0, 0], [1, 1], [1, 1], [0, 0]], 2],
    ['same, 3x2 filter, dilation 2', [2, 9, 8, 2], [3, 2, 2, 3], 1, 'same', 2],
    ['valid, 3x2 filter, strides [1, 2]', [2, 9, 8, 2], [3, 2, 2, 3], [1, 2], 'valid', 1],
  ];
  allowed.forEach(([name, xShape, filterShape, strides, pad, dilations], i) => {
    it(`still runs the stock kernel and matches cpu: ${name}`, async () => {
      const rng = new Rng(80 + i);
      const x = randomValues(rng, size(xShape));
      const filter = randomValues(rng, size(filterShape));
      const op = (): tf.Tensor => tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(filter, filterShape), strides, pad, 'NHWC', dilations);
      const [expected] = await runOn('cpu', op);
      const [actual] = await runOn('wasm', op);
      assert.deepEqual(actual.shape, expected.shape);
      assertClose(actual.values, expected.values, 1e-4, name);
    });
  });
});
