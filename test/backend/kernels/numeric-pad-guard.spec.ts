import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';

type Shape4 = [number, number, number, number];
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The true output shape of a pool over `xShape` with pad 1 (explicit padding sizes each axis from its own window and stride). */
function poolOutShape(xShape: Shape4, window: [number, number], strides: [number, number]): Shape4 {
  return tf.backend_util.computePool2DInfo(xShape, window, strides, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]).outShape as Shape4;
}

/** Runs the stock pool gradient directly (tfjs exports no op for it) with pad 1 and a true-shaped dy. */
function poolGrad(kernel: 'MaxPoolGrad' | 'AvgPoolGrad', xShape: Shape4, window: [number, number], strides: [number, number], values?: { x: Float32Array; dy: Float32Array }, pad: 1 | tf.backend_util.ExplicitPadding = 1): tf.Tensor {
  const dyShape = poolOutShape(xShape, window, strides);
  const input = values === undefined ? tf.ones(xShape) : tf.tensor4d(values.x, xShape);
  const dy = values === undefined ? tf.ones(dyShape) : tf.tensor4d(values.dy, dyShape);
  const output = tf.maxPool(input as tf.Tensor4D, window, strides, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  return tf.engine().runKernel(kernel, { dy, input, output }, { filterSize: window, strides, pad } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

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
    // The input gradients allocate dx right but walk a true-shaped dy with tfjs's width: wrong values.
    ['conv2dTranspose, 3x2 filter', () => tf.conv2dTranspose(tf.ones([2, 9, 9, 3]) as tf.Tensor4D, tf.ones([3, 2, 2, 3]) as tf.Tensor4D, [2, 9, 8, 2], 1, 1), /Conv2DBackpropInput on wasm: numeric pad 1 .* as 8, but it is 9 .*read dy as 8 wide/],
    ['conv2dTranspose, 3x3 filter, strides [2, 1]', () => tf.conv2dTranspose(tf.ones([1, 4, 6, 3]) as tf.Tensor4D, tf.ones([3, 3, 2, 3]) as tf.Tensor4D, [1, 7, 6, 2], [2, 1], 1), /Conv2DBackpropInput on wasm: .*strides 2x1 .* as 3, but it is 6/],
    ['MaxPoolGrad, 2x3 window', () => poolGrad('MaxPoolGrad', [2, 9, 8, 2], [2, 3], [1, 1]), /MaxPoolGrad on wasm: numeric pad 1 with a 2x3 filter .* as 9, but it is 8 .*wrong values/],
    ['AvgPoolGrad, 3x3 window, strides [1, 2]', () => poolGrad('AvgPoolGrad', [1, 6, 7, 2], [3, 3], [1, 2]), /AvgPoolGrad on wasm: numeric pad 1 .*strides 1x2 .* as 7, but it is 4/],
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

  // tfjs's width is wrong here too (7, true 4), but the stock kernel never reads dy past column 3.
  const backpropInputAllowed: Array<[string, Shape4, Shape4, [number, number]]> = [
    ['3x3 filter, strides [1, 2] (tfjs width wrong, columns read unaffected)', [2, 6, 7, 2], [3, 3, 2, 3], [1, 2]],
    ['3x3 filter, strides 1', [2, 9, 8, 2], [3, 3, 2, 3], [1, 1]],
  ];
  backpropInputAllowed.forEach(([name, xShape, filterShape, strides], i) => {
    it(`still runs the stock Conv2DBackpropInput and matches cpu with explicit padding: ${name}`, async () => {
      const dyShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]).outShape as Shape4;
      const rng = new Rng(90 + i);
      const dy = randomValues(rng, size(dyShape));
      const filter = randomValues(rng, size(filterShape));
      const op = (pad: 1 | tf.backend_util.ExplicitPadding) => (): tf.Tensor => tf.conv2dTranspose(tf.tensor4d(dy, dyShape), tf.tensor4d(filter, filterShape), xShape, strides, pad);
      const [expected] = await runOn('cpu', op([[0, 0], [1, 1], [1, 1], [0, 0]]));
      const [actual] = await runOn('wasm', op(1));
      assert.deepEqual(actual.shape, expected.shape);
      assertClose(actual.values, expected.values, 1e-4, name);
    });
  });

  (['MaxPoolGrad', 'AvgPoolGrad'] as const).forEach((kernel, i) => {
    // MaxPoolGrad is Floe's own behind the guard (max-pool-grad-kernel.ts), AvgPoolGrad the stock one.
    it(`still runs ${kernel} for a numeric pad with a square window and equal strides, matching cpu`, async () => {
      const xShape: Shape4 = [2, 9, 8, 3];
      const rng = new Rng(95 + i);
      const values = { x: randomValues(rng, size(xShape)), dy: randomValues(rng, size(poolOutShape(xShape, [3, 3], [1, 1]))) };
      const op = (): tf.Tensor => poolGrad(kernel, xShape, [3, 3], [1, 1], values);
      const [expected] = await runOn('cpu', op);
      const [actual] = await runOn('wasm', op);
      assert.deepEqual(actual.shape, xShape);
      assertClose(actual.values, expected.values, 1e-5, kernel);
    });
  });
});
