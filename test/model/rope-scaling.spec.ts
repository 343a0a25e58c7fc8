import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/errors';
import { GptModel, GptOptions, ropeInverseFrequencies } from '../../src/model';
import { maxAbsDiff } from '../support/tensors';
import { randomizeParams, tinyModel } from './helpers';

const LLAMA3 = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4 } as const;

/** Max |a − b| of two models' logits on one fixed row (same weights apart from the options). */
async function forwardDiff(a: GptModel, b: GptModel): Promise<number> {
  randomizeParams(a, 5);
  for (const [name, v] of a.params) (b.params.get(name) as tf.Variable).assign(v);
  const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5]], undefined, 'int32');
  const [x, y] = [a.forward(ids), b.forward(ids)];
  try {
    return maxAbsDiff(await x.data(), await y.data());
  } finally {
    tf.dispose([ids, x, y]);
  }
}

function assertNear(got: Float32Array, expected: number[]): void {
  assert.equal(got.length, expected.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]) <= 1e-7 * Math.abs(expected[i]), `f[${i}] = ${g}, expected ${expected[i]}`));
}

describe('RoPE scaling (llama3)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('plain inverse frequencies are theta^(−2i/headDim)', () => {
    assertNear(ropeInverseFrequencies(8, 10000), [1, 0.1, 0.01, 0.001]);
  });

  it("Llama 3.1's settings (original 8192) keep wavelengths below 2048, blend up to 8192, divide above", () => {
    // headDim 8, theta 1e4: wavelengths 2π·[1, 10, 100, 1000] = 6.3, 63, 628, 6283. Only the last
    // is past 8192 / 4 = 2048: s = (8192 / 6283.19 − 1) / (4 − 1), f = 0.001·((1 − s)/8 + s).
    const s = (8192 / (2000 * Math.PI) - 1) / 3;
    assertNear(ropeInverseFrequencies(8, 10000, { ...LLAMA3, originalMaxLength: 8192 }), [1, 0.1, 0.01, 0.001 * ((1 - s) / 8 + s)]);
    assert.ok(Math.abs(0.001 * ((1 - s) / 8 + s) - 0.000213607544) < 1e-12);
  });

  it('at original 8 the first wavelength (2π) is blended and the longer ones divided by the factor', () => {
    const s = (8 / (2 * Math.PI) - 1) / 3;
    assertNear(ropeInverseFrequencies(8, 10000, { ...LLAMA3, originalMaxLength: 8 }), [(1 - s) / 8 + s, 0.1 / 8, 0.01 / 8, 0.001 / 8]);
    assert.ok(Math.abs((1 - s) / 8 + s - 0.2046948672) < 1e-9);
  });

  it('changes the logits of a rope model, and is refused with learned positions or bad numbers', async () => {
    const scaling: GptOptions['ropeScaling'] = { ...LLAMA3, originalMaxLength: 8 };
    const plain = tinyModel({ position: 'rope' });
    const scaled = tinyModel({ position: 'rope', ropeScaling: scaling });
    try {
      assert.deepEqual(scaled.options.ropeScaling, scaling);
      assert.equal(plain.options.ropeScaling, undefined);
      assert.ok((await forwardDiff(plain, scaled)) > 1e-3, 'the scaling shows in the logits');
    } finally {
      plain.dispose();
      scaled.dispose();
    }
    const issues = (options: Partial<GptOptions>): string[] => {
      try {
        tinyModel(options).dispose();
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.issues.map((i) => `${i.path}: ${i.message}`);
      }
      return [];
    };
    assert.deepEqual(issues({ ropeScaling: scaling }), ["ropeScaling: scales rotary positions, but position is 'learned'; use position 'rope' or leave ropeScaling out"]);
    const bad = issues({ position: 'rope', ropeScaling: { ...scaling, type: 'longrope' as 'llama3', highFreqFactor: 1, originalMaxLength: 0 } });
    assert.deepEqual(bad.map((m) => m.split(':')[0]), ['ropeScaling.type', 'ropeScaling.highFreqFactor', 'ropeScaling.originalMaxLength']);
    assert.match(bad[0], /llama3/);
    assert.match(bad[1], /highFreqFactor must be greater than lowFreqFactor/);
  });
});
