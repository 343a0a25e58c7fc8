import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { openGptSource } from '../../src/checkpoint';
import { readSafetensorsTensors } from '../../src/checkpoint/formats/read-safetensors-tensors';
import { writeSafetensors } from '../../src/checkpoint/formats/write-safetensors';
import { CheckpointError, ConfigError } from '../../src/errors';
import { GptModel, LanguageModelTrainer, Rng, Trainer } from '../../src';
import { expectNoLeak, maxAbsDiff } from '../support/tensors';
import { runRecorded } from './fixtures/tiny-gpt-run';
import { LLAMA_IDS, llamaFineTuneRecipe, llamaForwardDiff, llamaLoadError, loadLlamaModel } from './fixtures/llama-import';
import { TinyLlama, TinyLlamaOptions, hfLlamaForward, writeTinyLlamaFolder } from './fixtures/tiny-llama-folder';
import { makeTempDir } from './temp-dir';

const IDS = LLAMA_IDS;

/** Floe's logits for IDS (and IDS reversed) against the hand-computed HF Llama forward. */
async function compareForward(trainer: Trainer, hf: TinyLlama): Promise<number> {
  const expected = hfLlamaForward(hf, IDS);
  // The comparison is sensitive to both settings read from config.json.
  assert.ok(maxAbsDiff(expected.flat(), hfLlamaForward(hf, IDS, { eps: 1e-6 }).flat()) > 1e-4, 'rms_norm_eps shows in the logits');
  assert.ok(maxAbsDiff(expected.flat(), hfLlamaForward(hf, IDS, { ropeTheta: hf.config.rope_theta === 10000 ? 500000 : 10000 }).flat()) > 1e-3, 'rope_theta shows in the logits');
  return llamaForwardDiff((trainer as LanguageModelTrainer).gpt, hf);
}

describe('HuggingFace Llama import (model.from)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-llama-')));
  afterEach(() => cleanup());

  const variants: { name: string; options: TinyLlamaOptions }[] = [
    { name: 'untied, one model.safetensors, rope_theta 10000', options: {} },
    { name: 'tied, two shards (a layer\'s q and k in different files), rope_theta 500000, inv_freq buffers', options: { tied: true, shards: 2, ropeTheta: 500000, invFreq: true } },
    { name: 'BF16 weights (compared with the reference on the BF16-rounded values)', options: { dtype: 'BF16' } },
    { name: 'grouped-query attention (num_key_value_heads 2 of 4), two shards', options: { kvHeads: 2, shards: 2 } },
    { name: 'multi-query attention (num_key_value_heads 1), tied', options: { kvHeads: 1, tied: true } },
  ];
  for (const variant of variants) {
    it(`maps a ${variant.name}: the logits match a hand-computed HF Llama and it fine-tunes`, async () => {
      const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), variant.options);
      let diff = Infinity;
      const before = tf.memory().numTensors;
      const run = await runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'run')), {
        onTrainerReady: async (trainer) => {
          const o = (trainer as LanguageModelTrainer).gpt.options;
          assert.deepEqual(
            [o.layers, o.dim, o.heads, o.kvHeads, o.ffnDim, o.maxLength, o.vocabSize, o.normEps, o.ropeTheta, o.tieEmbeddings, o.norm, o.position, o.activation, o.bias],
            [2, 16, 4, variant.options.kvHeads ?? 4, 40, 16, 40, 1e-5, variant.options.ropeTheta ?? 10000, variant.options.tied === true, 'rmsnorm', 'rope', 'swiglu', false],
          );
          diff = await compareForward(trainer, hf);
        },
      });
      assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
      assert.equal(run.result.globalStep, 6);
      const losses = [...run.losses.values()];
      assert.ok(losses.every(Number.isFinite), String(losses));
      assert.ok(Math.max(...losses.slice(-2)) < losses[0], `the loss falls: ${losses.join(', ')}`);
      assert.equal(tf.memory().numTensors, before, 'the run freed its tensors');
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'checkpoints', 'step-000006', 'model-config.json'), 'utf8'));
      assert.deepEqual([config.options.ropeTheta, config.options.normEps], [variant.options.ropeTheta ?? 10000, 1e-5]);
    });
  }

  it('a run fine-tuning a Llama folder with LoRA resumes from its checkpoint exactly', async () => {
    const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { ropeTheta: 500000 });
    const model = { lora: { rank: 2, alpha: 4, targets: ['*.attn.qkv', '*.mlp.up'] } };
    const whole = await runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'whole'), { model, trainIters: 6 }));
    await runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'split'), { model, trainIters: 6, exitIteration: 3 }));
    const resumed = await runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'split'), { model, trainIters: 6 }), { resumeFrom: path.join(dir, 'split') });
    assert.equal(resumed.result.globalStep, 6);
    assert.deepEqual([...resumed.losses.keys()], [4, 5, 6]);
    for (const step of [4, 5, 6]) assert.equal(resumed.losses.get(step), whole.losses.get(step), `loss at step ${step}`);
    const losses = [...whole.losses.values()];
    assert.ok(Math.max(...losses.slice(-2)) < losses[0], `LoRA lowers the loss: ${losses.join(', ')}`);
  });

  it('a recipe kvHeads or layers contradicting config.json is an error naming the HF field', async () => {
    const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { kvHeads: 2 });
    await assert.rejects(runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'run'), { model: { kvHeads: 1, layers: 3 } })), (error: Error) => {
      assert.ok(error instanceof ConfigError, error.message);
      assert.match(error.message, /model\.kvHeads: is 1 but .*config\.json says 2 \(num_key_value_heads\)/);
      assert.match(error.message, /model\.layers: is 3 but .*config\.json says 2 \(num_hidden_layers\)/);
      return true;
    });
  });

  it('reads the architecture from config.json and packs q/k/v into attn.qkv (openGptSource)', async () => {
    const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { shards: 2 });
    const gqa = await openGptSource(writeTinyLlamaFolder(path.join(dir, 'gqa'), { kvHeads: 2 }).dir);
    assert.equal(gqa.architecture.kvHeads, 2);
    assert.equal(gqa.fieldNames.kvHeads, 'num_key_value_heads');
    const source = await openGptSource(hf.dir);
    assert.equal(source.kind, 'hf-llama');
    assert.deepEqual(source.architecture, {
      vocabSize: 40, maxLength: 16, layers: 2, heads: 4, kvHeads: 4, dim: 16, ffnDim: 40, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', tieEmbeddings: false, bias: false, normEps: 1e-5, ropeTheta: 10000,
    });
    const before = tf.memory().numTensors;
    const model = await loadLlamaModel(hf);
    try {
      const values = async (name: string): Promise<number[]> => [...(await (model.params.get(name) as tf.Variable).data())];
      // PyTorch [out, in] → Floe [in, out]: row i of Floe's matrix is column i of HF's.
      const transposed = (hfName: string): number[][] => {
        const w = hf.weights.get(hfName) as { shape: number[]; data: number[] };
        const [out, inDim] = w.shape;
        return Array.from({ length: inDim }, (_, i) => Array.from({ length: out }, (_, o) => w.data[o * inDim + i]));
      };
      const qkv = ['q', 'k', 'v'].map((p) => transposed(`model.layers.1.self_attn.${p}_proj.weight`));
      assert.deepEqual(await values('blocks.1.attn.qkv.weight'), qkv[0].flatMap((row, i) => [...row, ...qkv[1][i], ...qkv[2][i]]));
      assert.deepEqual(await values('blocks.0.mlp.gate.weight'), transposed('model.layers.0.mlp.gate_proj.weight').flat());
      assert.deepEqual(await values('blocks.0.mlp.up.weight'), transposed('model.layers.0.mlp.up_proj.weight').flat());
      assert.deepEqual(await values('lm_head.weight'), transposed('lm_head.weight').flat());
      assert.deepEqual(await values('blocks.1.norm2.weight'), hf.weights.get('model.layers.1.post_attention_layernorm.weight')?.data);
      assert.deepEqual(await values('embed.tokens.weight'), hf.weights.get('model.embed_tokens.weight')?.data);
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('reads a mistral folder whose sliding_window covers the context as Llama', async () => {
    const hf = writeTinyLlamaFolder(path.join(dir, 'mistral'), { config: { model_type: 'mistral', sliding_window: 16 } });
    const model = await loadLlamaModel(hf);
    try {
      const ids = tf.tensor2d([IDS], [1, IDS.length], 'int32');
      const logits = model.forward(ids);
      const got = (await logits.array()) as number[][][];
      tf.dispose([ids, logits]);
      assert.ok(maxAbsDiff(got[0].flat(), hfLlamaForward(hf, IDS).flat()) < 1e-4);
    } finally {
      model.dispose();
    }
  });

  describe('refuses, naming the file, the field or tensor, its value and what Floe supports', () => {
    const loadError = (options: TinyLlamaOptions): Promise<string> => llamaLoadError(path.join(dir, 'llama'), options);
    const configFile = (): RegExp => new RegExp(`'${path.join(dir, 'llama', 'config.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`);

    it('another model_type', async () => {
      const message = await loadError({ config: { model_type: 'gemma2' } });
      assert.match(message, /config\.json has model_type "gemma2"; Floe reads model_type gpt2, llama, mistral, qwen2/);
    });

    it('hidden_act other than silu', async () => {
      const message = await loadError({ config: { hidden_act: 'gelu' } });
      assert.match(message, configFile());
      assert.match(message, /hidden_act is "gelu"; Floe supports "silu" only/);
    });

    it('attention or MLP biases', async () => {
      const message = await loadError({ config: { attention_bias: true, mlp_bias: true } });
      assert.match(message, /attention_bias is true; Floe supports false only/);
      assert.match(message, /mlp_bias is true; Floe supports false only/);
    });

    it('rope_scaling of a type Floe does not implement (longrope), naming its type (the others: hf-rope-scaling-import.spec)', async () => {
      const message = await loadError({ config: { rope_scaling: { rope_type: 'longrope', factor: 4, original_max_position_embeddings: 8 } } });
      assert.match(message, configFile());
      assert.match(message, /rope_scaling has type "longrope" \(\{"rope_type":"longrope".*\}\); Floe supports rope_scaling null .* or rope_type "llama3" .*"linear" \(factor\), "yarn" .*"dynamic" .*: longrope and other types are not implemented/);
    });

    it('a mistral sliding window shorter than the context', async () => {
      const message = await loadError({ config: { model_type: 'mistral', sliding_window: 8 } });
      assert.match(message, /sliding_window is 8 but max_position_embeddings is 16; .*supports sliding_window null or at least max_position_embeddings/);
    });

    it('an odd head_dim (rotary positions rotate channel pairs; an even one other than hidden_size / heads loads)', async () => {
      const message = await loadError({ config: { head_dim: 5 } });
      assert.match(message, /the head size \(head_dim\) is 5; rotary positions need an even head size/);
    });

    it('num_key_value_heads that does not divide num_attention_heads', async () => {
      const message = await loadError({ kvHeads: 3 });
      assert.match(message, /num_key_value_heads 3 does not divide num_attention_heads 4/);
    });

    it('a missing tensor, by Floe and Llama name', async () => {
      const message = await loadError({ omit: ['model.layers.1.self_attn.v_proj.weight', 'model.layers.0.mlp.down_proj.weight'] });
      assert.match(message, /model\.safetensors/);
      assert.match(message, /no tensor for 'blocks\.1\.attn\.qkv\.weight' \(Llama 'model\.layers\.1\.self_attn\.v_proj\.weight'\)/);
      assert.match(message, /no tensor for 'blocks\.0\.mlp\.down\.weight' \(Llama 'model\.layers\.0\.mlp\.down_proj\.weight'\)/);
    });

    it('an extra tensor, by name and shard', async () => {
      const message = await loadError({ shards: 2, extra: { 'model.layers.0.self_attn.o_proj.bias': { shape: [16], data: new Array(16).fill(0) } } });
      assert.match(message, /unexpected tensor 'model\.layers\.0\.self_attn\.o_proj\.bias' in model-00002-of-00002\.safetensors/);
    });

    it('a shape that does not fit config.json', async () => {
      const message = await loadError({ writtenConfig: { intermediate_size: 48 } });
      assert.match(message, /'model\.layers\.0\.mlp\.gate_proj\.weight' in model\.safetensors has shape \[40,16\] but the config implies \[48,16\]/);
      assert.match(message, /'model\.layers\.1\.mlp\.down_proj\.weight' in model\.safetensors has shape \[16,40\] but the config implies \[16,48\]/);
    });

    it('a k_proj of the wrong width for num_key_value_heads', async () => {
      // 8 rows would be num_key_value_heads 2; the config says 4.
      const narrow = { shape: [8, 16], data: new Array(128).fill(0.1) };
      const message = await loadError({ omit: ['model.layers.0.self_attn.k_proj.weight'], extra: { 'model.layers.0.self_attn.k_proj.weight': narrow } });
      assert.match(message, /'model\.layers\.0\.self_attn\.k_proj\.weight' in model\.safetensors has shape \[8,16\] but the config implies \[16,16\]/);
    });

    it('NaN or infinite weights, by Llama name and shard (not the whole packed qkv)', async () => {
      const hf = writeTinyLlamaFolder(path.join(dir, 'bad'), { shards: 2 });
      // Rewrite shard 2 with a NaN in layer 1's k_proj and an infinity in the final norm.
      const file = path.join(hf.dir, 'model-00002-of-00002.safetensors');
      const tensors = await readSafetensorsTensors(file);
      for (const [name, value] of [['model.layers.1.self_attn.k_proj.weight', Number.NaN], ['model.norm.weight', Number.POSITIVE_INFINITY]] as const) {
        const old = tensors.get(name) as tf.Tensor;
        tensors.set(name, tf.fill(old.shape, value));
        old.dispose();
      }
      await writeSafetensors(file, tensors);
      tf.dispose([...tensors.values()]);
      const before = tf.memory().numTensors;
      await assert.rejects(loadLlamaModel(hf), (error: Error) => {
        assert.ok(error instanceof CheckpointError, String(error));
        assert.equal(
          error.message.split(' (after')[0],
          `Cannot load Llama weights from '${hf.dir}': model-00002-of-00002.safetensors holds NaN or infinite values, in 'model.layers.1.self_attn.k_proj.weight', 'model.norm.weight'`,
        );
        return true;
      });
      assert.equal(tf.memory().numTensors, before);
    });
  });

  it('loading frees every tensor it made (success)', async () => {
    const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { shards: 2, dtype: 'BF16' });
    const source = await openGptSource(hf.dir);
    const model = new GptModel({ vocabSize: 40, maxLength: 16, layers: 2, heads: 4, dim: 16, ...source.architecture }, new Rng(1));
    try {
      await expectNoLeak(() => source.loadWeights(model.params), 'loadWeights');
    } finally {
      model.dispose();
    }
  });
});
