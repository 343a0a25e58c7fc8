import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { Rng } from '../../../src/random';
import { assertSameBits, expectStepsLeakNothing, randomValues, runOn, poolInputs, useWasmBackend, type Result } from '../backend-fixture';

type Shape4 = [number, number, number, number];
interface Geometry {
  x: Shape4;
  window: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Indexes as int32 words: cpu keeps its int32 indexes in a Float32Array (it writes them with the input's dtype). */
const asInt32 = (r: Result): Result => ({ shape: r.shape, values: Int32Array.from(r.values) });

/** Pooled values and indexes of `maxPoolWithArgmax`. */
function withArgmax(g: Geometry, x: Float32Array, includeBatchInIndex: boolean): () => tf.Tensor[] {
  return () => {
    const { result, indexes } = tf.maxPoolWithArgmax(tf.tensor4d(x, g.x), g.window, g.strides, g.pad, includeBatchInIndex);
    return [result, indexes];
  };
}

const inputs = poolInputs('negative', 'mixed', 'tied negative', 'tied 0/1', 'mixed with NaN');

const geometries: Record<string, Geometry> = {
  '2x2, stride 1, valid (overlapping)': { x: [2, 5, 6, 3], window: 2, strides: 1, pad: 'valid' },
  '3x3, stride 2, same (overlapping)': { x: [2, 7, 6, 2], window: 3, strides: 2, pad: 'same' },
  '2x3, strides [1, 2], same': { x: [2, 6, 5, 2], window: [2, 3], strides: [1, 2], pad: 'same' },
  '3x3, stride 1, numeric pad 1': { x: [2, 5, 5, 2], window: 3, strides: 1, pad: 1 },
};

describe('MaxPoolWithArgmax wasm kernel', () => {
  useWasmBackend();

  Object.entries(geometries).forEach(([geometry, g], i) => {
    it(`gives cpu's values and indexes bit for bit, with and without the batch in the index: ${geometry}`, async () => {
      for (const [kind, make] of Object.entries(inputs)) {
        const x = make(new Rng(500 + i), size(g.x));
        for (const includeBatchInIndex of [false, true]) {
          const expected = await runOn('cpu', withArgmax(g, x, includeBatchInIndex));
          const actual = await runOn('wasm', withArgmax(g, x, includeBatchInIndex));
          const label = `${geometry}, ${kind}, includeBatchInIndex ${includeBatchInIndex}`;
          assertSameBits(actual[0], expected[0], `${label}, values`);
          assertSameBits(asInt32(actual[1]), asInt32(expected[1]), `${label}, indexes`);
        }
      }
    });
  });

  // The second image of a batch of two 2x2x1 images, one 2x2 window each: its value and index.
  const windows: Array<[string, number[], number, number]> = [
    ['all negative: the largest', [-3, -1, -2, -4], -1, 1],
    ['tied maxima: the first in row-major order', [-2, -1, -1, -2], -1, 1],
    ['NaN is skipped', [NaN, -5, -7, -4], -4, 3],
    ['only NaN: -Infinity and index -1', [NaN, NaN, NaN, NaN], -Infinity, -1],
  ];
  windows.forEach(([name, x, value, index]) => {
    it(`pools a window like cpu: ${name}`, async () => {
      const g: Geometry = { x: [2, 2, 2, 1], window: 2, strides: 1, pad: 'valid' };
      for (const includeBatchInIndex of [false, true]) {
        const op = withArgmax(g, Float32Array.from([9, 8, 7, 6, ...x]), includeBatchInIndex);
        const expected = await runOn('cpu', op);
        const flat = index < 0 || !includeBatchInIndex ? index : index + 4;
        assert.deepEqual([expected[0].values[1], expected[1].values[1]], [value, flat], 'cpu (the reference) changed');
        const actual = await runOn('wasm', op);
        assertSameBits(actual[0], expected[0], `${name}, values`);
        assertSameBits(asInt32(actual[1]), asInt32(expected[1]), `${name}, indexes`);
      }
    });
  });

  it('refuses a bool or rank-3 input, naming what is allowed', () => {
    const attrs = { filterSize: 2, strides: 1, pad: 'valid', includeBatchInIndex: false } as unknown as tf.NamedAttrMap;
    tf.tidy(() => {
      assert.throws(() => tf.engine().runKernel('MaxPoolWithArgmax', { x: tf.zeros([1, 3, 3, 1], 'bool') }, attrs), /MaxPoolWithArgmax on wasm: x has dtype bool; allowed: float32, int32/);
      assert.throws(() => tf.engine().runKernel('MaxPoolWithArgmax', { x: tf.zeros([3, 3, 1]) }, attrs), /MaxPoolWithArgmax on wasm: x has shape \[3, 3, 1\]; allowed: rank 4 \(NHWC\)/);
    });
  });

  it('leaks no tensors or heap buffers', () => {
    const x = tf.randomNormal([2, 6, 5, 3]) as tf.Tensor4D;
    try {
      expectStepsLeakNothing(() => tf.tidy(() => void tf.maxPoolWithArgmax(x, 3, 2, 'same', true)));
    } finally {
      x.dispose();
    }
  });
});
