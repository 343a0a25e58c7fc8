import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/errors';
import { GptOptions, RopeScaling, ropeInverseFrequencies, ropeScalingIssues, ropeTables } from '../../src/model';
import { tinyModel } from './helpers';

/**
 * HF's scaled inverse frequencies and attention scaling, written out in float64 from transformers'
 * `modeling_rope_utils.py` (`_compute_linear_scaling_rope_parameters`, `_compute_yarn_parameters`,
 * `_compute_dynamic_ntk_parameters`), independently of Floe's code. `hf` keys as in config.json.
 */
function hfReference(hd: number, theta: number, hf: Record<string, number | boolean | string>, maxPositions: number): { invFreq: number[]; scaling: number } {
  const plain = Array.from({ length: hd / 2 }, (_, i) => 1 / theta ** ((2 * i) / hd));
  const factor = hf.factor as number;
  if (hf.rope_type === 'linear') return { invFreq: plain.map((f) => f / factor), scaling: 1 };
  if (hf.rope_type === 'dynamic') {
    // seq_len defaults to max_position_embeddings (and HF recomputes only past it).
    const seqLen = maxPositions;
    const base = theta * ((factor * seqLen) / maxPositions - (factor - 1)) ** (hd / (hd - 2));
    return { invFreq: plain.map((_, i) => 1 / base ** ((2 * i) / hd)), scaling: 1 };
  }
  // yarn
  const original = (hf.original_max_position_embeddings as number | undefined) ?? maxPositions;
  const correctionDim = (rotations: number): number => (hd * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = correctionDim((hf.beta_fast as number | undefined) ?? 32);
  let high = correctionDim((hf.beta_slow as number | undefined) ?? 1);
  if (hf.truncate !== false) [low, high] = [Math.floor(low), Math.ceil(high)];
  low = Math.max(low, 0);
  high = Math.min(high, hd - 1);
  if (low === high) high += 0.001;
  const invFreq = plain.map((f, i) => {
    const extrapolationFactor = 1 - Math.min(1, Math.max(0, (i - low) / (high - low)));
    return (f / factor) * (1 - extrapolationFactor) + f * extrapolationFactor;
  });
  const getMscale = (scale: number, m = 1): number => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  let scaling = hf.attention_factor as number | undefined;
  if (scaling === undefined) scaling = hf.mscale !== undefined && hf.mscale_all_dim !== undefined ? getMscale(factor, hf.mscale as number) / getMscale(factor, hf.mscale_all_dim as number) : getMscale(factor);
  return { invFreq, scaling };
}

/** Floe's cos/sin tables at positions 0..T−1 against cos/sin(pos·f)·scaling of the reference. */
async function tablesMatch(hd: number, theta: number, scaling: RopeScaling, ref: { invFreq: number[]; scaling: number }, t: number): Promise<number> {
  const positions = tf.tidy(() => tf.range(0, t, 1, 'int32').reshape([1, t]) as tf.Tensor2D);
  const tables = ropeTables(positions, hd, theta, scaling);
  const [cos, sin] = [(await tables.cos.data()) as Float32Array, (await tables.sinSigned.data()) as Float32Array];
  tf.dispose([positions, tables.cos, tables.sinSigned]);
  let worst = 0;
  for (let p = 0; p < t; p++) {
    for (let i = 0; i < hd; i++) {
      const angle = p * ref.invFreq[i % (hd / 2)];
      const sign = i < hd / 2 ? -1 : 1;
      worst = Math.max(worst, Math.abs(cos[p * hd + i] - Math.cos(angle) * ref.scaling), Math.abs(sin[p * hd + i] - sign * Math.sin(angle) * ref.scaling));
    }
  }
  return worst;
}

function assertClose(got: Float32Array, expected: number[], what: string): void {
  assert.equal(got.length, expected.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]) <= 2e-7 * Math.abs(expected[i]), `${what}: f[${i}] = ${g}, expected ${expected[i]}`));
}

/** Plain and reference differ somewhere by more than float32 noise: the test would fail with the scaling ignored. */
function assertScaled(expected: { invFreq: number[]; scaling: number }, hd: number, theta: number): void {
  const plain = ropeInverseFrequencies(hd, theta);
  const moved = expected.invFreq.some((f, i) => Math.abs(f - plain[i]) > 1e-3 * f) || Math.abs(expected.scaling - 1) > 1e-3;
  assert.ok(moved, 'the scaling changes the reference');
}

describe('RoPE scaling types linear, yarn, dynamic (HF rope_scaling)', () => {
  const HD = 32;
  const THETA = 10000;
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('linear divides every inverse frequency by factor; cos/sin at positions 0..63 match', async () => {
    const expected = hfReference(HD, THETA, { rope_type: 'linear', factor: 4 }, 64);
    assertScaled(expected, HD, THETA);
    const scaling: RopeScaling = { type: 'linear', factor: 4 };
    assertClose(ropeInverseFrequencies(HD, THETA, scaling), expected.invFreq, 'linear');
    const before = tf.memory().numTensors;
    assert.ok((await tablesMatch(HD, THETA, scaling, expected, 64)) < 2e-5);
    assert.equal(tf.memory().numTensors, before);
  });

  const yarnCases: Array<[string, Record<string, number | boolean>, RopeScaling]> = [
    ['defaults (beta 32/1, attention 0.1·ln(factor) + 1, truncate)', { factor: 4 }, { type: 'yarn', factor: 4, originalMaxLength: 64 }],
    ['beta_fast 8, beta_slow 2, truncate false', { factor: 4, beta_fast: 8, beta_slow: 2, truncate: false }, { type: 'yarn', factor: 4, originalMaxLength: 64, betaFast: 8, betaSlow: 2, truncate: false }],
    ['attention_factor 1.3', { factor: 8, attention_factor: 1.3 }, { type: 'yarn', factor: 8, originalMaxLength: 64, attentionFactor: 1.3 }],
    ['mscale 0.9 over mscale_all_dim 0.6', { factor: 8, mscale: 0.9, mscale_all_dim: 0.6 }, { type: 'yarn', factor: 8, originalMaxLength: 64, mscale: 0.9, mscaleAllDim: 0.6 }],
  ];
  for (const [name, hf, scaling] of yarnCases) {
    it(`yarn, ${name}: inverse frequencies and cos/sin (times the attention factor) match HF's formulas`, async () => {
      const expected = hfReference(HD, THETA, { rope_type: 'yarn', ...hf }, 64);
      assertScaled(expected, HD, THETA);
      // The ramp blends: some pairs kept, some interpolated, at least one in between.
      const plain = ropeInverseFrequencies(HD, THETA);
      const ratios = expected.invFreq.map((f, i) => f / plain[i]);
      assert.ok(ratios.some((r) => Math.abs(r - 1) < 1e-6) && ratios.some((r) => Math.abs(r - 1 / scaling.factor) < 1e-6), String(ratios));
      if (name.startsWith('beta')) assert.ok(ratios.some((r) => r < 1 - 1e-3 && r > 1 / scaling.factor + 1e-3), `a blended pair: ${ratios}`);
      assertClose(ropeInverseFrequencies(HD, THETA, scaling), expected.invFreq, 'yarn');
      assert.ok((await tablesMatch(HD, THETA, scaling, expected, 64)) < 2e-5);
    });
  }

  it('dynamic is plain RoPE within the original context (HF changes the base only past it)', async () => {
    const expected = hfReference(HD, THETA, { rope_type: 'dynamic', factor: 4 }, 64);
    const scaling: RopeScaling = { type: 'dynamic', factor: 4, originalMaxLength: 64 };
    assertClose(ropeInverseFrequencies(HD, THETA, scaling), expected.invFreq, 'dynamic');
    assert.ok((await tablesMatch(HD, THETA, scaling, expected, 64)) < 2e-5);
  });

  it('refuses dynamic past the original context, a setting of another type, and an unknown type once', () => {
    const issues = (ropeScaling: unknown, options: Partial<GptOptions> = {}): string[] => {
      try {
        tinyModel({ position: 'rope', ...options, ropeScaling: ropeScaling as RopeScaling }).dispose();
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.issues.map((i) => `${i.path}: ${i.message}`);
      }
      return [];
    };
    const before = tf.memory().numTensors;
    assert.deepEqual(issues({ type: 'dynamic', factor: 2, originalMaxLength: 8 }, { maxLength: 16 }), [
      "ropeScaling: is dynamic scaling with maxLength 16 above originalMaxLength 8: HF's dynamic NTK raises the RoPE base per sequence length past 8 tokens, which Floe does not implement; set maxLength ≤ 8, or use linear or yarn scaling",
    ]);
    assert.deepEqual(issues({ type: 'dynamic', factor: 2, originalMaxLength: 16 }, { maxLength: 16 }), []);
    assert.deepEqual(issues({ type: 'linear', factor: 2, betaFast: 4, originalMaxLength: 8 }), [
      'ropeScaling.originalMaxLength: is not a setting of type linear, which takes factor',
      'ropeScaling.betaFast: is not a setting of type linear, which takes factor',
    ]);
    assert.deepEqual(ropeScalingIssues({ type: 'dynamic', factor: 2, originalMaxLength: 8, truncate: true }, 'model.ropeScaling').map((i) => `${i.path}: ${i.message}`), [
      'model.ropeScaling.truncate: is not a setting of type dynamic, which takes factor, originalMaxLength',
    ]);
    assert.deepEqual(ropeScalingIssues({ type: 'yarn', factor: 2, lowFreqFactor: 1 }, 'r').map((i) => `${i.path}: ${i.message}`).sort(), [
      'r.lowFreqFactor: is not a setting of type yarn, which takes factor, originalMaxLength (and optionally betaFast, betaSlow, attentionFactor, mscale, mscaleAllDim, truncate)',
      "r.originalMaxLength: missing 'originalMaxLength', which is required: integer ≥ 1, ≤ 1048576",
    ].sort());
    assert.deepEqual(ropeScalingIssues({ type: 'longrope', factor: 2 }, 'r').map((i) => i.path), ['r.type']);
    assert.equal(tf.memory().numTensors, before);
  });
});
