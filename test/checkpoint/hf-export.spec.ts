import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { copyHfExportTokenizer, exportModel, hfExportTokenizer, openGptSource, readSafetensors } from '../../src/checkpoint';
import { loadCheckpointModel, LoadedCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { CheckpointError } from '../../src/errors';
import { GptModel, GptOptions, Rng } from '../../src';
import { mergeLora } from '../../src/model/merge-lora';
import { ByteTokenizer } from '../../src/tokenizer/byte-tokenizer';
import { HfTokenizer } from '../../src/tokenizer/hf-tokenizer';
import { HfTokenizerConfig } from '../../src/tokenizer/hf-tokenizer-factory';
import { writeTinyLlamaTokenizer } from '../tokenizer/tiny-llama-tokenizer';
import { maxAbsDiff } from '../support/tensors';
import { runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { HfWeight, hfGpt2Forward, TinyGpt2 } from './fixtures/tiny-gpt2-folder';
import { hfLlamaForward, TinyLlama, TinyLlamaConfig, TinyLlamaOptions, writeTinyLlamaFolder } from './fixtures/tiny-llama-folder';
import { makeTempDir } from './temp-dir';
import { hfFineTuneRecipe } from './fixtures/hf-fine-tune-recipe';

const LLAMA3_SCALING = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 };
const IDS = [1, 21, 26, 4, 3, 17, 5, 6, 19, 11, 12, 9];

/** Fine-tunes an HF folder for 6 steps with its own tokenizer, saving a floe and an hf checkpoint at step 6. */
function fineTuneRecipe(hf: string, outputDir: string, model: Record<string, unknown> = {}): Record<string, unknown> {
  const checkpoint = [{ type: 'floe', saveEveryNSteps: 6 }, { type: 'hf', saveEveryNSteps: 6 }];
  return hfFineTuneRecipe(hf, outputDir, { model, epochs: 20, trainIters: 6, count: 8, lr: 1e-2, checkpoint });
}

/** Logits of `model` for IDS, as nested arrays. */
async function logits(model: GptModel, ids = IDS): Promise<number[][]> {
  return tf.tidy(() => model.forward(tf.tensor2d([ids], [1, ids.length], 'int32'))).array().then((a) => (a as number[][][])[0]);
}

/** Every tensor of the exported model.safetensors as an HfWeight (float32 values as numbers). */
async function exportedWeights(dir: string): Promise<Map<string, HfWeight>> {
  const { tensors } = await readSafetensors(path.join(dir, 'model.safetensors'));
  return new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, data: Array.from(t.data as Float32Array) }]));
}

/** Exports a loaded checkpoint with `floe export`'s call; asserts no tensor is left behind. */
async function exportHf(loaded: LoadedCheckpointModel, out: string): Promise<Record<string, unknown>> {
  const before = tf.memory().numTensors;
  await exportModel(loaded.model, out, { format: 'hf', modelType: 'gpt', tokenizer: hfExportTokenizer(loaded.trainer) });
  assert.equal(tf.memory().numTensors, before, 'the export left no tensor');
  return JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/**
 * `model.from` the export: a GPT of the folder's architecture with the folder's weights. Checks
 * every weight equals `expected`'s bit for bit and the logits are identical.
 */
async function assertRoundTrip(out: string, expected: GptModel, ids = IDS): Promise<void> {
  const source = await openGptSource(out);
  const model = new GptModel({ ...(source.architecture as GptOptions), dropout: expected.options.dropout }, new Rng(1));
  try {
    await source.loadWeights(model.params);
    assert.deepEqual([...model.params.keys()].sort(), [...expected.params.keys()].sort());
    for (const [name, v] of expected.params) {
      assert.deepEqual(await (model.params.get(name) as tf.Variable).data(), await v.data(), `${name} round-trips bit for bit`);
    }
    assert.deepEqual(await logits(model, ids), await logits(expected, ids));
  } finally {
    model.dispose();
  }
}

/** The float64 HF Llama reference on the exported files vs Floe's logits of the source model. */
async function llamaReferenceDiff(out: string, source: GptModel): Promise<number> {
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as TinyLlamaConfig;
  const hf: TinyLlama = { dir: out, config, weights: await exportedWeights(out) };
  return maxAbsDiff(hfLlamaForward(hf, IDS).flat(), (await logits(source)).flat());
}

describe('floe export --format hf (HuggingFace folders)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-hf-export-')));
  afterEach(() => cleanup());

  /** Writes a tiny Llama folder, fine-tunes it, loads the step-6 checkpoint and exports it to `<dir>/export`. */
  async function trainAndExport(options: TinyLlamaOptions, model: Record<string, unknown> = {}) {
    const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), options);
    await runRecorded(fineTuneRecipe(hf.dir, path.join(dir, 'run'), model));
    const loaded = await loadCheckpointModel(path.join(dir, 'run', 'checkpoints', 'step-000006'));
    const out = path.join(dir, 'export');
    const config = await exportHf(loaded, out);
    return { hf, loaded, out, config, gpt: loaded.model as GptModel };
  }

  it('a grouped-query, untied Llama with llama3 rope scaling: config.json, HF layout, tokenizer, round trip; the hf engine writes the same folder', async () => {
    const { loaded, out, config, gpt } = await trainAndExport({ kvHeads: 2, ropeTheta: 500000, config: { rope_scaling: LLAMA3_SCALING } });
    try {
      assert.deepEqual(config, {
        architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 40, hidden_size: 16, intermediate_size: 40, num_hidden_layers: 2,
        num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, hidden_act: 'silu', max_position_embeddings: 16, rms_norm_eps: 1e-5, rope_theta: 500000,
        rope_scaling: LLAMA3_SCALING, attention_bias: false, mlp_bias: false, attention_dropout: 0, initializer_range: 0.02, tie_word_embeddings: false,
        bos_token_id: 1, eos_token_id: 2, pad_token_id: 2, torch_dtype: 'float32', use_cache: true,
      });
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'generation_config.json'), 'utf8')), { _from_model_config: true, bos_token_id: 1, eos_token_id: 2, pad_token_id: 2 });
      const weights = await exportedWeights(out);
      assert.deepEqual(weights.get('model.layers.0.self_attn.k_proj.weight')?.shape, [8, 16]);
      assert.deepEqual(weights.get('lm_head.weight')?.shape, [40, 16]);
      const diff = await llamaReferenceDiff(out, gpt);
      assert.ok(diff < 1e-4, `float64 HF forward on the exported files vs Floe: ${diff}`);
      await assertRoundTrip(out, gpt);
      // Tokenizer files copied, loadable as the recipe's hf tokenizer.
      assert.deepEqual(fs.readdirSync(out).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
      const tok = await HfTokenizer.load({ path: out });
      assert.deepEqual([tok.encode('hello world'), tok.bosId, tok.eosId], [loaded.tokenizer.encode('hello world'), 1, 2]);
      // A recipe fine-tunes the export with the export as its tokenizer.
      const again = await runRecorded({ ...fineTuneRecipe(out, path.join(dir, 'again')), trainIters: 2, checkpoint: [] });
      assert.equal(again.result.globalStep, 2);
      // The hf checkpoint engine wrote the same folder at step 6.
      const engine = path.join(dir, 'run', 'hf', 'step-000006');
      for (const name of fs.readdirSync(out)) assert.deepEqual(fs.readFileSync(path.join(engine, name)), fs.readFileSync(path.join(out, name)), name);
    } finally {
      loaded.dispose();
    }
  });

  it('a tied multi-query Llama: no lm_head.weight, tie_word_embeddings true, matches the reference', async () => {
    const { loaded, out, config, gpt } = await trainAndExport({ kvHeads: 1, tied: true });
    try {
      assert.deepEqual([config.tie_word_embeddings, config.num_key_value_heads, config.rope_scaling], [true, 1, null]);
      assert.equal((await exportedWeights(out)).has('lm_head.weight'), false);
      assert.ok((await llamaReferenceDiff(out, gpt)) < 1e-4);
      await assertRoundTrip(out, gpt);
    } finally {
      loaded.dispose();
    }
  });

  it('a Qwen2-style model (bias qkv) exports as qwen2 with q/k/v biases', async () => {
    const qwen2 = { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', attention_bias: undefined, mlp_bias: undefined, rope_theta: 1000000, use_sliding_window: false };
    const { loaded, out, config, gpt } = await trainAndExport({ qkvBias: true, kvHeads: 2, config: qwen2 });
    try {
      assert.deepEqual(config, {
        architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: 40, hidden_size: 16, intermediate_size: 40, num_hidden_layers: 2,
        num_attention_heads: 4, num_key_value_heads: 2, hidden_act: 'silu', max_position_embeddings: 16, rms_norm_eps: 1e-5, rope_theta: 1000000,
        rope_scaling: null, use_sliding_window: false, sliding_window: null, attention_dropout: 0, initializer_range: 0.02, tie_word_embeddings: false,
        bos_token_id: 1, eos_token_id: 2, pad_token_id: 2, torch_dtype: 'float32', use_cache: true,
      });
      const weights = await exportedWeights(out);
      assert.deepEqual([...weights.keys()].filter((n) => n.endsWith('.bias')).sort().slice(0, 3), ['model.layers.0.self_attn.k_proj.bias', 'model.layers.0.self_attn.q_proj.bias', 'model.layers.0.self_attn.v_proj.bias']);
      assert.deepEqual(weights.get('model.layers.1.self_attn.v_proj.bias')?.shape, [8]);
      assert.ok((await llamaReferenceDiff(out, gpt)) < 1e-4);
      await assertRoundTrip(out, gpt);
    } finally {
      loaded.dispose();
    }
  });

  it('a LoRA fine-tune exports merged: the merged weights bit for bit, the LoRA model\'s logits', async () => {
    const { loaded, out, gpt } = await trainAndExport({ kvHeads: 2 }, { lora: { rank: 2, alpha: 4, targets: ['*.attn.qkv', '*.mlp.up'] } });
    try {
      assert.ok(gpt.lora !== undefined);
      const merged = mergeLora(gpt);
      try {
        await assertRoundTrip(out, merged);
        assert.ok((await llamaReferenceDiff(out, gpt)) < 1e-4);
      } finally {
        merged.dispose();
      }
      assert.equal((await exportedWeights(out)).size, 2 * 9 + 3, 'no LoRA factors in the folder');
    } finally {
      loaded.dispose();
    }
  });

  it('a GPT-2-style model exports as gpt2 (Conv1D layout, transformer. names) matching the float64 GPT-2 forward', async () => {
    const run = path.join(dir, 'run');
    await runRecorded(tinyGptRecipe(run, { trainIters: 4, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }] }));
    const loaded = await loadCheckpointModel(path.join(run, 'checkpoints', 'step-000004'));
    try {
      const out = path.join(dir, 'export');
      const config = await exportHf(loaded, out);
      assert.deepEqual(config, {
        architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 22, n_positions: 16, n_ctx: 16, n_embd: 16, n_layer: 1, n_head: 2, n_inner: 64,
        activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, initializer_range: 0.02, scale_attn_weights: true,
        tie_word_embeddings: true, bos_token_id: loaded.tokenizer.bosId, eos_token_id: loaded.tokenizer.eosId, pad_token_id: loaded.tokenizer.padId, torch_dtype: 'float32', use_cache: true,
      });
      const weights = await exportedWeights(out);
      assert.deepEqual(weights.get('transformer.h.0.attn.c_attn.weight')?.shape, [16, 48]);
      assert.equal(weights.has('lm_head.weight'), false);
      const hf: TinyGpt2 = { dir: out, config: config as TinyGpt2['config'], weights: new Map([...weights].map(([n, w]) => [n.replace(/^transformer\./, ''), w])) };
      const gpt = loaded.model as GptModel;
      const diff = maxAbsDiff(hfGpt2Forward(hf, [3, 4, 5, 6, 7, 8, 9]).flat(), (await logits(gpt, [3, 4, 5, 6, 7, 8, 9])).flat());
      assert.ok(diff < 1e-4, `float64 GPT-2 forward on the exported files vs Floe: ${diff}`);
      await assertRoundTrip(out, gpt, [3, 4, 5, 6, 7, 8, 9]);
      // Weights only: not a checkpoint to export again or resume.
      await assert.rejects(loadCheckpointModel(out), /is a weights-only export, written by a safetensors, tfjs or hf checkpoint engine or floe export/);
      assert.deepEqual(fs.readdirSync(out).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json']);
    } finally {
      loaded.dispose();
    }
  });

  it('refuses settings with no HuggingFace architecture, naming them and the valid combinations', async () => {
    const base = { vocabSize: 10, maxLength: 8, layers: 1, heads: 2, dim: 8 };
    const cases: [Partial<GptOptions>, RegExp][] = [
      [{ norm: 'layernorm', position: 'rope', activation: 'gelu' }, /its settings \(model\.norm layernorm, model\.position rope, model\.activation gelu, model\.bias true\) match no HuggingFace architecture/],
      [{ norm: 'rmsnorm', position: 'rope', activation: 'gelu', bias: false }, /model\.norm rmsnorm, model\.position rope, model\.activation gelu, model\.bias false\) match no/],
      [{ norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: true }, /bias true\) has no HuggingFace architecture \(Qwen2 has q\/k\/v biases only\)/],
      [{ bias: false }, /GPT-2 has biases on every linear layer, so it needs model\.bias true/],
      [{ kvHeads: 1 }, /model\.kvHeads 1 of model\.heads 2: GPT-2 .* has no grouped-query attention/],
    ];
    for (const [options, message] of cases) {
      const model = new GptModel({ ...base, ...options }, new Rng(1));
      const before = tf.memory().numTensors;
      try {
        await assert.rejects(exportModel(model, path.join(dir, 'refused'), { format: 'hf', modelType: 'gpt' }), (error: Error) => {
          assert.ok(error instanceof CheckpointError, error.message);
          assert.match(error.message, message);
          assert.match(error.message, /Floe writes: gpt2 \(norm layernorm, position learned, activation gelu, bias true\), llama \(norm rmsnorm, position rope, activation swiglu, bias false\) or qwen2/);
          return true;
        });
        assert.equal(fs.existsSync(path.join(dir, 'refused')), false);
        assert.equal(tf.memory().numTensors, before);
      } finally {
        model.dispose();
      }
    }
    // An untied GPT-2 head with a trained bias: HF's GPT-2 head has none.
    const untied = new GptModel({ ...base, tieEmbeddings: false }, new Rng(1));
    try {
      (untied.params.get('lm_head.bias') as tf.Variable).assign(tf.fill([10], 0.5));
      await assert.rejects(exportModel(untied, path.join(dir, 'untied'), { format: 'hf', modelType: 'gpt' }), /untied head has a trained bias \(lm_head\.bias\[0\] = 0\.5\), which HF's GPT2LMHeadModel does not have/);
    } finally {
      untied.dispose();
    }
  });

  it('the hf engine refuses a model with no HF architecture when the run is built, before any step', async () => {
    const recipe = tinyGptRecipe(path.join(dir, 'run'), {
      trainIters: 2,
      model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16, position: 'rope' },
      checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }, { type: 'hf', saveEveryNSteps: 2 }],
    });
    const steps: number[] = [];
    await assert.rejects(runRecorded(recipe, { onTrainerReady: async () => void steps.push(1) }), (error: Error) => {
      assert.match(error.message, /checkpoint\[1\]: Cannot export the model as a HuggingFace folder .*model\.position rope.* match no HuggingFace architecture/);
      return true;
    });
    assert.deepEqual(steps, [], 'no trainer was handed over');
    assert.equal(fs.existsSync(path.join(dir, 'run', 'checkpoints', 'step-000002')), false);
  });

  it('copies tokenizer_config.json, special_tokens_map.json and chat_template.jinja beside the tokenizer, with the recipe\'s special-token overrides', async () => {
    const tok = path.join(dir, 'recipe', 'tok');
    writeTinyLlamaTokenizer(tok);
    fs.writeFileSync(path.join(tok, 'special_tokens_map.json'), '{"eos_token": "</s>"}');
    fs.writeFileSync(path.join(tok, 'chat_template.jinja'), '{{ bos_token }}');
    const config = Object.assign(new HfTokenizerConfig(), { type: 'hf', path: 'tok', eosToken: '<s>' });
    const t = hfExportTokenizer({ config: { tokenizer: config }, context: { recipeDir: path.join(dir, 'recipe') }, tokenizer: new ByteTokenizer() });
    assert.deepEqual(Object.keys(t.files).sort(), ['chat_template.jinja', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    assert.equal(t.note, undefined);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    await copyHfExportTokenizer(out, t);
    assert.equal(fs.readFileSync(path.join(out, 'chat_template.jinja'), 'utf8'), '{{ bos_token }}');
    const written = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const original = JSON.parse(fs.readFileSync(path.join(tok, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written, { ...original, eos_token: '<s>' });
    assert.equal((await HfTokenizer.load({ path: out })).eosId, 1);
  });

  it('writes the Jinja data.chatTemplate the run trained with as the export\'s chat template, not the source\'s', async () => {
    const tok = path.join(dir, 'recipe-chat', 'tok');
    writeTinyLlamaTokenizer(tok);
    fs.writeFileSync(path.join(tok, 'chat_template.jinja'), '{{ bos_token }}source');
    const template = "{% for m in messages %}{{ m.role + ': ' + m.content + eos_token }}{% endfor %}";
    const config = Object.assign(new HfTokenizerConfig(), { type: 'hf', path: 'tok' });
    const source = { context: { recipeDir: path.join(dir, 'recipe-chat') }, tokenizer: new ByteTokenizer() };
    // Floe's own format (or the tokenizer's template): the source's files as they are.
    assert.equal(hfExportTokenizer({ ...source, config: { tokenizer: config, data: { chatTemplate: 'tokenizer' } } }).files['chat_template.jinja'], path.join(tok, 'chat_template.jinja'));
    const t = hfExportTokenizer({ ...source, config: { tokenizer: config, data: { chatTemplate: template } } });
    const out = path.join(dir, 'out-chat');
    fs.mkdirSync(out);
    await copyHfExportTokenizer(out, t);
    assert.equal(fs.readFileSync(path.join(out, 'chat_template.jinja'), 'utf8'), template);
    const written = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(written.chat_template, template);
    const original = JSON.parse(fs.readFileSync(path.join(tok, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual({ ...written, chat_template: undefined }, { ...original, chat_template: undefined });
  });

  it('a byte tokenizer: weights and configs, no tokenizer files, and a note saying so', () => {
    const t = hfExportTokenizer({ config: { tokenizer: { type: 'byte' } }, context: { recipeDir: dir }, tokenizer: new ByteTokenizer() });
    assert.deepEqual([t.files, t.ids], [{}, { bosId: 256, eosId: 257, padId: 258 }]);
    assert.match(t.note ?? '', /the recipe's 'byte' tokenizer has no HuggingFace tokenizer files, so the folder holds no tokenizer \(its ids are UTF-8 bytes 0-255, bos 256, eos 257, pad 258\)/);
  });
});
