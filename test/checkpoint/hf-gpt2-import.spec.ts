import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { openGptSource } from '../../src/checkpoint';
import { readSafetensorsTensors } from '../../src/checkpoint/formats/read-safetensors-tensors';
import { writeSafetensors } from '../../src/checkpoint/formats/write-safetensors';
import { CheckpointError, ConfigError } from '../../src/errors';
import { GptModel, LanguageModelTrainer, Rng, Trainer } from '../../src';
import { maxAbsDiff } from '../support/tensors';
import { hfFineTuneRecipe } from './fixtures/hf-fine-tune-recipe';
import { runRecorded } from './fixtures/tiny-gpt-run';
import { TinyGpt2, hfGpt2Forward, writeTinyGpt2Folder } from './fixtures/tiny-gpt2-folder';
import { makeTempDir } from './temp-dir';

/** Fine-tunes the GPT-2 folder with its own tokenizer: `model: { type: gpt, from }`, `tokenizer: { type: hf }`. */
function fineTuneRecipe(hf: string, outputDir: string, model: Record<string, unknown> = {}): Record<string, unknown> {
  return hfFineTuneRecipe(hf, outputDir, { model, trainIters: 3, count: 40, lr: 1e-3, checkpoint: [{ type: 'floe', saveEveryNSteps: 3 }] });
}

const IDS = [16, 0, 8, 14, 6, 5, 21, 3, 9, 10, 11, 7];

/** Floe's logits for IDS against the hand-computed GPT-2 forward. */
async function compareForward(trainer: Trainer, hf: TinyGpt2): Promise<number> {
  const gpt = (trainer as LanguageModelTrainer).gpt;
  const ids = tf.tensor2d([IDS, IDS.slice().reverse()], [2, IDS.length], 'int32');
  const logits = gpt.forward(ids);
  const got = (await logits.array()) as number[][][];
  tf.dispose([ids, logits]);
  const expected = [hfGpt2Forward(hf, IDS), hfGpt2Forward(hf, IDS.slice().reverse())];
  const diff = maxAbsDiff(got.flat(2), expected.flat(2));
  // The comparison is sensitive: GPT-2's layer_norm_epsilon (1e-3 here) visibly changes the logits.
  const withDefaultEps = hfGpt2Forward(hf, IDS, 1e-5);
  assert.ok(maxAbsDiff(expected[0].flat(), withDefaultEps.flat()) > 1e-3);
  return diff;
}

describe('HuggingFace GPT-2 import (model.from)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-hf-')));
  afterEach(() => cleanup());

  for (const variant of [
    { name: 'GPT2LMHeadModel layout (transformer. prefix, mask buffers, tied lm_head stored)', options: { prefixed: true, buffers: true } },
    { name: 'GPT2Model layout with an untied lm_head', options: { tied: false } },
  ]) {
    it(`maps ${variant.name} onto Floe's GPT: the forward matches a hand-computed GPT-2, and it fine-tunes`, async () => {
      const hf = writeTinyGpt2Folder(path.join(dir, 'gpt2'), variant.options);
      let diff = Infinity;
      const run = await runRecorded(fineTuneRecipe(hf.dir, path.join(dir, 'run'), { heads: 2, dim: 8 }), {
        onTrainerReady: async (trainer) => {
          const o = (trainer as LanguageModelTrainer).gpt.options;
          assert.deepEqual(
            [o.layers, o.dim, o.heads, o.ffnDim, o.maxLength, o.vocabSize, o.normEps, o.tieEmbeddings],
            [2, 8, 2, 32, 12, 22, 1e-3, variant.options.tied !== false],
          );
          diff = await compareForward(trainer, hf);
        },
      });
      assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
      assert.equal(run.result.globalStep, 3);
      assert.ok([...run.losses.values()].every(Number.isFinite));
      // The fine-tuned model is a normal Floe checkpoint, and the HF architecture is recorded.
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'checkpoints', 'step-000003', 'model-config.json'), 'utf8'));
      assert.equal(config.options.normEps, 1e-3);
    });
  }

  it('a recipe field contradicting config.json is an error naming both; a default one follows the source', async () => {
    const hf = writeTinyGpt2Folder(path.join(dir, 'gpt2'));
    await assert.rejects(runRecorded(fineTuneRecipe(hf.dir, path.join(dir, 'run'), { layers: 3, dim: 8, normEps: 1e-5 })), (error: Error) => {
      assert.ok(error instanceof ConfigError, error.message);
      assert.match(error.message, /model\.layers: is 3 but .*config\.json says 2 \(n_layer\)/);
      assert.match(error.message, /model\.normEps: is 0\.00001 but .*config\.json says 0\.001 \(layer_norm_epsilon\)/);
      assert.ok(!error.message.includes('model.dim'), 'dim: 8 agrees with n_embd');
      return true;
    });
  });

  it('reads the architecture and weights from the folder alone (openGptSource)', async () => {
    const hf = writeTinyGpt2Folder(path.join(dir, 'gpt2'), { prefixed: true });
    const source = await openGptSource(hf.dir);
    assert.equal(source.kind, 'hf-gpt2');
    assert.deepEqual(source.architecture, { vocabSize: 22, maxLength: 12, layers: 2, heads: 2, dim: 8, ffnDim: 32, norm: 'layernorm', position: 'learned', activation: 'gelu', tieEmbeddings: true, bias: true, normEps: 1e-3 });
    const model = new GptModel({ ...source.architecture, vocabSize: 22, maxLength: 12, layers: 2, heads: 2, dim: 8 }, new Rng(1));
    try {
      await source.loadWeights(model.params);
      const same = async (floe: string, hfName: string): Promise<void> => assert.deepEqual([...(await (model.params.get(floe) as tf.Variable).data())], hf.weights.get(hfName)?.data, floe);
      await same('embed.tokens.weight', 'wte.weight');
      await same('blocks.1.attn.qkv.weight', 'h.1.attn.c_attn.weight');
      await same('blocks.0.mlp.down.weight', 'h.0.mlp.c_proj.weight');
      await same('norm.bias', 'ln_f.bias');
    } finally {
      model.dispose();
    }
  });

  describe('refuses, naming the file and the problem', () => {
    async function loadError(options: Parameters<typeof writeTinyGpt2Folder>[1], edit?: (folder: string) => void): Promise<string> {
      const hf = writeTinyGpt2Folder(path.join(dir, 'gpt2'), options);
      edit?.(hf.dir);
      try {
        const source = await openGptSource(hf.dir);
        const model = new GptModel({ vocabSize: 22, maxLength: 12, layers: 2, heads: 2, dim: 8, ...source.architecture }, new Rng(1));
        try {
          await source.loadWeights(model.params);
        } finally {
          model.dispose();
        }
      } catch (error) {
        assert.ok(error instanceof CheckpointError, `${(error as Error).name}: ${(error as Error).message}`);
        return error.message;
      }
      return assert.fail('expected a CheckpointError');
    }

    it('an unsupported activation or model type', async () => {
      const message = await loadError({ config: { activation_function: 'gelu' } });
      assert.match(message, /config\.json/);
      assert.match(message, /activation_function 'gelu' is not supported/);
      assert.match(await loadError({ config: { model_type: 'bert' } }), /config\.json has model_type "bert"; Floe reads model_type gpt2, llama, mistral/);
    });

    it('a missing tensor, by Floe and GPT-2 name', async () => {
      const message = await loadError({ omit: ['h.1.mlp.c_fc.bias'] });
      assert.match(message, /model\.safetensors/);
      assert.match(message, /no tensor for 'blocks\.1\.mlp\.up\.bias' \(GPT-2 'h\.1\.mlp\.c_fc\.bias'\)/);
    });

    it('a shape that does not fit the config', async () => {
      const message = await loadError({ config: { n_positions: 16, n_ctx: 16 } });
      assert.match(message, /'wpe\.weight' has shape \[12,8\] but the config implies \[16,8\]/);
    });

    it('a truncated model.safetensors', async () => {
      const message = await loadError({}, (folder) => {
        const file = path.join(folder, 'model.safetensors');
        fs.truncateSync(file, fs.statSync(file).size - 7);
      });
      assert.match(message, /model\.safetensors/);
      assert.match(message, /truncated/);
    });

    it('NaN or infinite weights, by GPT-2 name (they loaded silently, to give NaN losses)', async () => {
      const hf = writeTinyGpt2Folder(path.join(dir, 'gpt2'));
      const file = path.join(hf.dir, 'model.safetensors');
      const tensors = await readSafetensorsTensors(file);
      for (const name of ['h.1.mlp.c_fc.bias', 'ln_f.weight']) {
        const old = tensors.get(name) as tf.Tensor;
        tensors.set(name, tf.fill(old.shape, name === 'ln_f.weight' ? Number.NaN : Number.NEGATIVE_INFINITY));
        old.dispose();
      }
      await writeSafetensors(file, tensors);
      tf.dispose([...tensors.values()]);
      const before = tf.memory().numTensors;
      const source = await openGptSource(hf.dir);
      const model = new GptModel({ vocabSize: 22, maxLength: 12, layers: 2, heads: 2, dim: 8, ...source.architecture }, new Rng(1));
      try {
        await assert.rejects(source.loadWeights(model.params), (error: Error) => {
          assert.ok(error instanceof CheckpointError, String(error));
          assert.ok(error.message.startsWith(`Cannot load GPT-2 weights from '${hf.dir}': model.safetensors holds NaN or infinite values, in 'h.1.mlp.c_fc.bias', 'ln_f.weight' (after widening to float32). `), error.message);
          return true;
        });
      } finally {
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, before);
    });

    it('a folder that is neither Floe nor HuggingFace: names every source it reads, with the model_types dispatched', async () => {
      fs.mkdirSync(path.join(dir, 'empty'));
      const empty = path.join(dir, 'empty');
      const readable =
        'a Floe checkpoint or export (model-config.json + model.safetensors), a folder of step-N checkpoints or a run folder, ' +
        'or a HuggingFace folder (config.json + model.safetensors or its sharded index) whose config.json model_type is gpt2, llama, mistral, qwen2, qwen3 or gemma3_text';
      await assert.rejects(openGptSource(empty), { message: `Cannot load a model from '${empty}': expected ${readable}.` });
      fs.writeFileSync(path.join(dir, 'model.safetensors'), '');
      await assert.rejects(openGptSource(path.join(dir, 'model.safetensors')), {
        message: `Cannot load a model from '${path.join(dir, 'model.safetensors')}': it is a file; expected a folder: ${readable}.`,
      });
      await assert.rejects(openGptSource(path.join(dir, 'missing')), /does not exist/);
    });
  });
});
