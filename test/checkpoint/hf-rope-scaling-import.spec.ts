import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { exportModel, openGptSource } from '../../src/checkpoint';
import { GptModel, LanguageModelTrainer, Rng, RopeScaling } from '../../src';
import { loadCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { maxAbsDiff } from '../support/tensors';
import { LLAMA_IDS, llamaFineTuneRecipe, llamaForwardDiff, llamaLoadError, loadLlamaModel } from './fixtures/llama-import';
import { runRecorded } from './fixtures/tiny-gpt-run';
import { hfLlamaForward, TinyLlama, writeTinyLlamaFolder } from './fixtures/tiny-llama-folder';
import { makeTempDir } from './temp-dir';

interface Case {
  name: string;
  ropeTheta: number;
  hf: Record<string, unknown>;
  floe: RopeScaling;
  /** rope_scaling as Floe exports it (HF's `rope_type` key, HF's defaults left out). */
  exported: Record<string, unknown>;
}

// The tiny folders: hidden 16, 4 heads (head size 4: two rotary pairs), max_position_embeddings 16.
const CASES: Case[] = [
  { name: 'linear (legacy `type` key)', ropeTheta: 10000, hf: { type: 'linear', factor: 4 }, floe: { type: 'linear', factor: 4 }, exported: { rope_type: 'linear', factor: 4 } },
  {
    name: 'yarn with its defaults (original = max_position_embeddings, beta 32/1, attention 0.1·ln 4 + 1)',
    ropeTheta: 10000,
    hf: { rope_type: 'yarn', factor: 4 },
    floe: { type: 'yarn', factor: 4, originalMaxLength: 16 },
    exported: { rope_type: 'yarn', factor: 4 },
  },
  {
    // rope_theta 10 puts the second pair inside the ramp: weight 1/1.414 on f/factor.
    name: 'yarn with original_max_position_embeddings 8 (factor 16/8), betas, truncate false, mscale / mscale_all_dim',
    ropeTheta: 10,
    hf: { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 8, beta_fast: 4, beta_slow: 0.25, truncate: false, mscale: 1, mscale_all_dim: 0.5 },
    floe: { type: 'yarn', factor: 2, originalMaxLength: 8, betaFast: 4, betaSlow: 0.25, truncate: false, mscale: 1, mscaleAllDim: 0.5 },
    exported: { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 8, beta_fast: 4, beta_slow: 0.25, mscale: 1, mscale_all_dim: 0.5, truncate: false },
  },
  { name: 'dynamic (plain RoPE within max_position_embeddings)', ropeTheta: 10000, hf: { rope_type: 'dynamic', factor: 4 }, floe: { type: 'dynamic', factor: 4, originalMaxLength: 16 }, exported: { rope_type: 'dynamic', factor: 4 } },
];

describe('HuggingFace rope_scaling linear, yarn, dynamic (model.from, --format hf)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-rope-scaling-')));
  afterEach(() => cleanup());

  for (const c of CASES) {
    it(`${c.name}: the logits match the float64 HF forward; export writes rope_scaling back and re-imports the same`, async () => {
      const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { ropeTheta: c.ropeTheta, config: { rope_scaling: c.hf } });
      const plain: TinyLlama = { ...hf, config: { ...hf.config, rope_scaling: null } };
      const scalingShows = maxAbsDiff(hfLlamaForward(hf, LLAMA_IDS).flat(), hfLlamaForward(plain, LLAMA_IDS).flat());
      // Not vacuous: the scaling changes the reference's logits (dynamic: HF's own numbers are plain here).
      if (c.floe.type === 'dynamic') assert.ok(scalingShows < 1e-12, `dynamic is plain within the context: ${scalingShows}`);
      else assert.ok(scalingShows > 1e-2, `${c.floe.type} scaling shows in the logits: ${scalingShows}`);
      const before = tf.memory().numTensors;
      const model = await loadLlamaModel(hf);
      let again: GptModel | undefined;
      try {
        assert.deepEqual(model.options.ropeScaling, c.floe);
        const diff = await llamaForwardDiff(model, hf);
        assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
        const out = path.join(dir, 'exported');
        await exportModel(model, out, { format: 'hf', modelType: 'gpt' });
        const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
        assert.deepEqual([config.rope_scaling, config.max_position_embeddings, config.rope_theta], [c.exported, 16, c.ropeTheta]);
        const source = await openGptSource(out);
        assert.deepEqual(source.architecture.ropeScaling, c.floe);
        again = new GptModel({ vocabSize: 40, maxLength: 16, layers: 2, heads: 4, dim: 16, ...source.architecture }, new Rng(2));
        await source.loadWeights(again.params);
        const diffAgain = await llamaForwardDiff(again, hf);
        assert.ok(diffAgain < 1e-4, `re-imported: max |Floe − reference| = ${diffAgain}`);
      } finally {
        model.dispose();
        again?.dispose();
      }
      assert.equal(tf.memory().numTensors, before, 'nothing left behind');
    });
  }

  it('a yarn folder fine-tunes (loss falls, nothing leaks) and its checkpoint keeps the scaling with its optional settings', async () => {
    const c = CASES[2];
    const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { ropeTheta: c.ropeTheta, config: { rope_scaling: c.hf } });
    const before = tf.memory().numTensors;
    let diff = Infinity;
    const run = await runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'run'), { saveEveryNSteps: 6 }), {
      onTrainerReady: async (trainer) => {
        diff = await llamaForwardDiff((trainer as LanguageModelTrainer).gpt, hf);
      },
    });
    assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
    const losses = [...run.losses.values()];
    assert.ok(Math.max(...losses.slice(-2)) < losses[0], `the loss falls: ${losses.join(', ')}`);
    assert.equal(tf.memory().numTensors, before, 'the run freed its tensors');
    const loaded = await loadCheckpointModel(path.join(dir, 'run', 'checkpoints', 'step-000006'));
    try {
      assert.deepEqual((loaded.model as GptModel).options.ropeScaling, c.floe);
    } finally {
      loaded.dispose();
    }
  });

  it('refuses longrope, dynamic past original_max_position_embeddings, keys of another type, a yarn factor at odds with the lengths', async () => {
    const loadError = (rope_scaling: Record<string, unknown>): Promise<string> => llamaLoadError(path.join(dir, 'llama'), { config: { rope_scaling } });
    assert.match(await loadError({ rope_type: 'longrope', factor: 4, short_factor: [1], long_factor: [2] }), /rope_scaling has type "longrope" .*; Floe supports .*"linear" \(factor\), "yarn" .* or "dynamic" \(factor; within max_position_embeddings\): longrope and other types are not implemented/);
    assert.match(
      await loadError({ rope_type: 'dynamic', factor: 2, original_max_position_embeddings: 8 }),
      /config\.json': rope_scaling \(dynamic\) original_max_position_embeddings 8 is below max_position_embeddings 16: HF's dynamic NTK would raise the RoPE base per sequence length past 8 tokens, inside the context Floe trains with, and Floe does not implement that/,
    );
    assert.match(await loadError({ rope_type: 'linear', factor: 2, beta_fast: 8 }), /rope_scaling \(linear\) has beta_fast, which Floe does not read; linear takes factor\./);
    assert.match(await loadError({ rope_type: 'yarn', factor: 4, low_freq_factor: 1 }), /rope_scaling \(yarn\) has low_freq_factor, which Floe does not read; yarn takes factor, original_max_position_embeddings, beta_fast, beta_slow, attention_factor, mscale, mscale_all_dim, truncate/);
    assert.match(
      await loadError({ rope_type: 'yarn', factor: 4, original_max_position_embeddings: 8 }),
      /rope_scaling \(yarn\) factor 4 differs from max_position_embeddings \/ original_max_position_embeddings = 16 \/ 8: transformers versions disagree/,
    );
    assert.match(await loadError({ rope_type: 'yarn', factor: 4, truncate: 'yes', beta_fast: -1 }), /rope_scaling \(yarn\) beta_fast is -1, truncate is "yes"; expected a positive number, true or false/);
    assert.match(await loadError({ rope_type: 'linear', factor: 0.5 }), /rope_scaling \(linear\) factor 0\.5 must be at least 1/);
  });

  it('export refuses a yarn model whose maxLength is neither originalMaxLength nor originalMaxLength × factor', async () => {
    const model = new GptModel({ vocabSize: 40, maxLength: 16, layers: 1, heads: 4, dim: 16, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, ropeScaling: { type: 'yarn', factor: 4, originalMaxLength: 8 } }, new Rng(1));
    try {
      await assert.rejects(
        exportModel(model, path.join(dir, 'refused'), { format: 'hf', modelType: 'gpt' }),
        /model\.ropeScaling is yarn with factor 4 and originalMaxLength 8, but model\.maxLength \(max_position_embeddings\) is 16; transformers 4\.50\+ takes the factor as max_position_embeddings \/ original_max_position_embeddings = 2/,
      );
    } finally {
      model.dispose();
    }
  });
});
