import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { openGptSource } from '../../src/checkpoint';
import { readSafetensorsHeader } from '../../src/checkpoint/formats/read-safetensors';
import { loadCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { GptModel, LanguageModelTrainer, Rng } from '../../src';
import { maxAbsDiff } from '../support/tensors';
import { runRecorded } from './fixtures/tiny-gpt-run';
import { LLAMA_IDS, llamaFineTuneRecipe, llamaForwardDiff, llamaLoadError } from './fixtures/llama-import';
import { TinyLlama, TinyLlamaOptions, hfLlamaForward, writeTinyLlamaFolder } from './fixtures/tiny-llama-folder';
import { makeTempDir } from './temp-dir';

/** Llama 3.1's rope_scaling at numbers small enough to change every frequency of a 4-wide head. */
const LLAMA3_SCALING = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 };

const IDS = LLAMA_IDS;

/** Fine-tunes the folder with its own tokenizer (`model: { type: gpt, from }`), saving at step 6. */
function fineTuneRecipe(hf: string, outputDir: string, model: Record<string, unknown> = {}): Record<string, unknown> {
  return llamaFineTuneRecipe(hf, outputDir, { model, saveEveryNSteps: 6 });
}

/** Runs a fine-tuning of the folder; checks the logits before training, a falling loss and no leak. */
async function importAndFineTune(hf: TinyLlama, outputDir: string, model: Record<string, unknown> = {}): Promise<{ diff: number; options: GptModel['options']; modelConfig: Record<string, unknown> }> {
  let diff = Infinity;
  let options: GptModel['options'] | undefined;
  const before = tf.memory().numTensors;
  const run = await runRecorded(fineTuneRecipe(hf.dir, outputDir, model), {
    onTrainerReady: async (trainer) => {
      const gpt = (trainer as LanguageModelTrainer).gpt;
      options = gpt.options;
      diff = await llamaForwardDiff(gpt, hf);
    },
  });
  const losses = [...run.losses.values()];
  assert.ok(losses.every(Number.isFinite), String(losses));
  assert.ok(Math.max(...losses.slice(-2)) < losses[0], `the loss falls: ${losses.join(', ')}`);
  assert.equal(tf.memory().numTensors, before, 'the run freed its tensors');
  const modelConfig = JSON.parse(fs.readFileSync(path.join(outputDir, 'checkpoints', 'step-000006', 'model-config.json'), 'utf8')).options;
  return { diff, options: options as GptModel['options'], modelConfig };
}

describe('HuggingFace Llama 3.x and Qwen2 import (model.from)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-llama3-')));
  afterEach(() => cleanup());

  const loadError = (options: TinyLlamaOptions): Promise<string> => llamaLoadError(path.join(dir, 'llama'), options);

  describe('rope_scaling llama3 (Llama 3.1 / 3.2)', () => {
    it('maps onto ropeScaling: the logits match the float64 HF forward with llama3 frequencies, it fine-tunes and checkpoints the scaling', async () => {
      const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { tied: true, ropeTheta: 500000, config: { rope_scaling: LLAMA3_SCALING } });
      // Not vacuous: the scaling changes the reference's logits.
      const plain = { ...hf, config: { ...hf.config, rope_scaling: null } };
      assert.ok(maxAbsDiff(hfLlamaForward(hf, IDS).flat(), hfLlamaForward(plain, IDS).flat()) > 1e-2, 'llama3 scaling shows in the logits');
      const { diff, options, modelConfig } = await importAndFineTune(hf, path.join(dir, 'run'));
      assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
      const expected = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxLength: 8 };
      assert.deepEqual([options.ropeScaling, options.ropeTheta], [expected, 500000]);
      assert.deepEqual(modelConfig.ropeScaling, expected);
      const loaded = await loadCheckpointModel(path.join(dir, 'run', 'checkpoints', 'step-000006'));
      try {
        assert.deepEqual((loaded.model as GptModel).options.ropeScaling, expected);
      } finally {
        loaded.dispose();
      }
      // The checkpoint carries it: from it the model has the same scaling, and a contradicting recipe is named.
      const again = await runRecorded({ ...fineTuneRecipe(hf.dir, path.join(dir, 'again')), trainIters: 1, checkpoint: [], model: { type: 'gpt', from: path.join(dir, 'run', 'checkpoints', 'step-000006'), ropeScaling: { ...expected } } }, {
        onTrainerReady: async (trainer) => assert.deepEqual((trainer as LanguageModelTrainer).gpt.options.ropeScaling, expected),
      });
      assert.equal(again.result.globalStep, 1);
      await assert.rejects(
        runRecorded({ ...fineTuneRecipe(hf.dir, path.join(dir, 'contra')), model: { type: 'gpt', from: hf.dir, ropeScaling: { ...expected, factor: 4 } } }),
        /model\.ropeScaling: is \{.*"factor":4.*\} but .*config\.json says \{.*"factor":8.*\} \(rope_scaling\)/,
      );
    });

    it('rope_type default (or null) is plain RoPE', async () => {
      const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { config: { rope_scaling: { rope_type: 'default' } } });
      const source = await openGptSource(hf.dir);
      assert.equal(source.architecture.ropeScaling, undefined);
    });

    it('refuses other rope types, naming the type and what is supported', async () => {
      for (const type of ['longrope', 'ntk']) {
        const message = await loadError({ config: { rope_scaling: { type, factor: 2 } } });
        assert.match(message, new RegExp(`config\\.json': rope_scaling has type "${type}" .*; Floe supports rope_scaling null \\(plain RoPE with rope_theta\\) or rope_type "llama3" \\(factor, low_freq_factor, high_freq_factor, original_max_position_embeddings\\), "linear" \\(factor\\), "yarn" .* or "dynamic" \\(factor; within max_position_embeddings\\): longrope and other types are not implemented`));
      }
      const missing = await loadError({ config: { rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1 } } });
      assert.match(missing, /rope_scaling \(llama3\) needs positive numbers .*; got high_freq_factor undefined, original_max_position_embeddings undefined/);
      const inverted = await loadError({ config: { rope_scaling: { ...LLAMA3_SCALING, high_freq_factor: 1, low_freq_factor: 4 } } });
      assert.match(inverted, /high_freq_factor 1 must be greater than low_freq_factor 4/);
    });
  });

  describe('Qwen2 folders (model_type qwen2)', () => {
    /** A Qwen2 config: q/k/v biases, no attention_bias/mlp_bias keys, a sliding window that is off. */
    const qwen2 = (extra: Record<string, unknown> = {}): TinyLlamaOptions['config'] => ({
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      attention_bias: undefined,
      mlp_bias: undefined,
      rope_theta: 1000000,
      use_sliding_window: false,
      sliding_window: 4,
      max_window_layers: 2,
      ...extra,
    });

    it('maps q/k/v biases onto attn.qkv.bias (bias: qkv): the logits match the float64 HF forward, it fine-tunes, plain and with LoRA', async () => {
      const hf = writeTinyLlamaFolder(path.join(dir, 'qwen2'), { qkvBias: true, kvHeads: 2, shards: 2, config: qwen2() });
      // Not vacuous: the biases change the reference's logits.
      const unbiased = { ...hf, weights: new Map([...hf.weights].filter(([name]) => !name.endsWith('.bias'))) };
      assert.ok(maxAbsDiff(hfLlamaForward(hf, IDS).flat(), hfLlamaForward(unbiased, IDS).flat()) > 1e-2, 'the biases show in the logits');
      const { diff, options, modelConfig } = await importAndFineTune(hf, path.join(dir, 'run'));
      assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
      assert.deepEqual([options.bias, options.kvHeads, options.ropeTheta, options.tieEmbeddings], ['qkv', 2, 1000000, false]);
      assert.equal(modelConfig.bias, 'qkv');
      const saved = await readSafetensorsHeader(path.join(dir, 'run', 'checkpoints', 'step-000006', 'model.safetensors'));
      assert.deepEqual(saved.entries.map((e) => e.name).filter((n) => n.endsWith('.bias')).sort(), ['blocks.0.attn.qkv.bias', 'blocks.1.attn.qkv.bias']);
      const loaded = await loadCheckpointModel(path.join(dir, 'run', 'checkpoints', 'step-000006'));
      try {
        const reloaded = loaded.model as GptModel;
        assert.equal(reloaded.options.bias, 'qkv');
        assert.deepEqual([...reloaded.params.keys()].filter((n) => n.endsWith('.bias')), ['blocks.0.attn.qkv.bias', 'blocks.1.attn.qkv.bias']);
      } finally {
        loaded.dispose();
      }
      // LoRA on the biased projection: the adapters start at zero (the reference forward), only they train.
      const lora = await importAndFineTune(hf, path.join(dir, 'lora'), { lora: { rank: 2, alpha: 4, targets: ['*.attn.qkv', '*.mlp.up'] } });
      assert.ok(lora.diff < 1e-4, `LoRA: max |Floe − reference| = ${lora.diff}`);
    });

    it('a tied Qwen2 folder (tie_word_embeddings true) matches too', async () => {
      const hf = writeTinyLlamaFolder(path.join(dir, 'qwen2'), { qkvBias: true, tied: true, config: qwen2() });
      const source = await openGptSource(hf.dir);
      assert.deepEqual([source.architecture.bias, source.architecture.tieEmbeddings], ['qkv', true]);
      const model = new GptModel({ vocabSize: 40, maxLength: 16, layers: 2, heads: 4, dim: 16, ...source.architecture }, new Rng(1));
      try {
        await source.loadWeights(model.params);
        const diff = await llamaForwardDiff(model, hf);
        assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
      } finally {
        model.dispose();
      }
    });

    it('takes use_sliding_window with a window covering the context; refuses a shorter one and a missing bias', async () => {
      const covering = writeTinyLlamaFolder(path.join(dir, 'covering'), { qkvBias: true, config: qwen2({ use_sliding_window: true, sliding_window: 16 }) });
      assert.equal((await openGptSource(covering.dir)).architecture.bias, 'qkv');
      const short = await loadError({ qkvBias: true, config: qwen2({ use_sliding_window: true, sliding_window: 8 }) });
      assert.match(short, /use_sliding_window is true and sliding_window is 8 but max_position_embeddings is 16; Floe attends over the whole context, so it supports use_sliding_window false, or sliding_window null or at least max_position_embeddings/);
      fs.rmSync(path.join(dir, 'llama'), { recursive: true });
      const missing = await loadError({ qkvBias: true, omit: ['model.layers.1.self_attn.k_proj.bias'], config: qwen2() });
      assert.match(missing, /no tensor for 'blocks\.1\.attn\.qkv\.bias' \(Llama 'model\.layers\.1\.self_attn\.k_proj\.bias'\)/);
      fs.rmSync(path.join(dir, 'llama'), { recursive: true });
      const llamaBias = await loadError({ config: { attention_bias: true } });
      assert.match(llamaBias, /attention_bias is true; Floe supports false only \(Floe's Llama has no biases in q\/k\/v\/o; Qwen2 folders \(model_type qwen2\) have q\/k\/v ones\)/);
    });
  });
});
