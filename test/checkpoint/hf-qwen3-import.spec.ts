import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { exportModel, hfExportModelType, readSafetensors } from '../../src/checkpoint';
import { loadCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { CheckpointError } from '../../src/errors';
import { GptModel, KvCache, LanguageModelTrainer, resolveGptOptions, Rng } from '../../src';
import { maxAbsDiff } from '../support/tensors';
import { runRecorded } from './fixtures/tiny-gpt-run';
import { assertReloadedBitForBit, LLAMA_IDS, llamaFineTuneRecipe, llamaForwardDiff, llamaLoadError, loadLlamaModel } from './fixtures/llama-import';
import { hfLlamaForward, TinyLlama, TinyLlamaConfig, writeTinyLlamaFolder, writeTinyQwen3Folder } from './fixtures/tiny-llama-folder';
import { makeTempDir } from './temp-dir';

/** Exports `model` as a HF folder with `floe export`'s call; returns its config.json. */
async function exportHf(model: GptModel, out: string): Promise<Record<string, unknown>> {
  const before = tf.memory().numTensors;
  await exportModel(model, out, { format: 'hf', modelType: 'gpt' });
  assert.equal(tf.memory().numTensors, before, 'the export left no tensor');
  return JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/** The folder `out` as a TinyLlama (its config and stored weights), for the reference forward. */
async function readFolder(out: string): Promise<TinyLlama> {
  const { tensors } = await readSafetensors(path.join(out, 'model.safetensors'));
  const weights = new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, data: Array.from(t.data as Float32Array) }]));
  return { dir: out, config: JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as TinyLlamaConfig, weights };
}

/** Logits of LLAMA_IDS fed one piece at a time through a KV cache, `[T·V]`. */
async function cachedLogits(model: GptModel, pieces: number[]): Promise<number[]> {
  const cache = new KvCache();
  const out: number[] = [];
  try {
    let at = 0;
    for (const n of pieces) {
      const logits = tf.tidy(() => model.forward(tf.tensor2d([LLAMA_IDS.slice(at, at + n)], [1, n], 'int32'), { cache }));
      out.push(...((await logits.data()) as Float32Array));
      logits.dispose();
      at += n;
    }
  } finally {
    cache.dispose();
  }
  return out;
}

describe('HuggingFace Qwen3 import and export (model_type qwen3: head_dim, q_norm / k_norm)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  // Another spec may have registered wasm (higher priority) without starting it.
  before(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-qwen3-')));
  afterEach(() => cleanup());

  it('maps head_dim and q_norm / k_norm: the logits match the float64 HF forward, and a cached decode the full forward', async () => {
    const hf = writeTinyQwen3Folder(path.join(dir, 'qwen3'));
    // Not vacuous: the reference changes without the q/k norms.
    const unnormed = { ...hf, weights: new Map([...hf.weights].filter(([name]) => !/_norm\.weight$/.test(name) || !name.includes('self_attn'))) };
    assert.ok(maxAbsDiff(hfLlamaForward(hf, LLAMA_IDS).flat(), hfLlamaForward(unnormed, LLAMA_IDS).flat()) > 1e-2, 'the q/k norms show in the logits');
    const before = tf.memory().numTensors;
    const model = await loadLlamaModel(hf);
    try {
      const o = model.options;
      assert.deepEqual([o.headDim, o.qkNorm, o.kvHeads, o.tieEmbeddings, o.bias], [6, true, 2, true, false]);
      assert.deepEqual(model.params.get('blocks.0.attn.qkv.weight')?.shape, [16, 24 + 12 + 12]);
      assert.deepEqual(model.params.get('blocks.1.attn.out.weight')?.shape, [24, 16]);
      assert.deepEqual(model.params.get('blocks.1.attn.kNorm.weight')?.shape, [6]);
      const diff = await llamaForwardDiff(model, hf);
      assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
      const full = tf.tidy(() => model.forward(tf.tensor2d([LLAMA_IDS], [1, LLAMA_IDS.length], 'int32')));
      const cached = await cachedLogits(model, [5, 1, 3, 1, 4]);
      assert.ok(maxAbsDiff(cached, (await full.data()) as Float32Array) < 1e-5, 'cached decode = full forward');
      full.dispose();
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'nothing left behind');
  });

  it('import → export --format hf → import round-trips bit for bit, as a qwen3 folder', async () => {
    const hf = writeTinyQwen3Folder(path.join(dir, 'qwen3'));
    const model = await loadLlamaModel(hf);
    const out = path.join(dir, 'export');
    try {
      const config = await exportHf(model, out);
      assert.deepEqual(
        [config.architectures, config.model_type, config.head_dim, config.num_attention_heads, config.num_key_value_heads, config.hidden_size, config.attention_bias, config.use_sliding_window, config.tie_word_embeddings],
        [['Qwen3ForCausalLM'], 'qwen3', 6, 4, 2, 16, false, false, true],
      );
      // The exported tensors are the folder's own, name for name and bit for bit.
      const exported = await readFolder(out);
      assert.deepEqual([...exported.weights.keys()].sort(), [...hf.weights.keys()].sort());
      for (const [name, w] of hf.weights) assert.deepEqual(exported.weights.get(name), w, `${name} exported bit for bit`);
      assert.ok(maxAbsDiff(hfLlamaForward(exported, LLAMA_IDS).flat(), hfLlamaForward(hf, LLAMA_IDS).flat()) === 0);
      await assertReloadedBitForBit(await loadLlamaModel(exported), model);
    } finally {
      model.dispose();
    }
  });

  it('fine-tunes with LoRA from the folder (falling loss), the checkpoint keeping headDim and qkNorm', async () => {
    const hf = writeTinyQwen3Folder(path.join(dir, 'qwen3'));
    let diff = Infinity;
    const before = tf.memory().numTensors;
    const run = await runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'run'), { model: { lora: { rank: 2, alpha: 4, targets: ['*.attn.qkv', '*.attn.out', '*.mlp.up'] } } }), {
      onTrainerReady: async (trainer) => {
        diff = await llamaForwardDiff((trainer as LanguageModelTrainer).gpt, hf);
      },
    });
    assert.ok(diff < 1e-4, `LoRA starts at the reference: max |Floe − reference| = ${diff}`);
    const losses = [...run.losses.values()];
    assert.ok(losses.every(Number.isFinite) && Math.max(...losses.slice(-2)) < losses[0], `the loss falls: ${losses.join(', ')}`);
    assert.equal(tf.memory().numTensors, before, 'the run freed its tensors');
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'checkpoints', 'step-000006', 'model-config.json'), 'utf8')).options;
    assert.deepEqual([saved.headDim, saved.qkNorm], [6, true]);
    const loaded = await loadCheckpointModel(path.join(dir, 'run', 'checkpoints', 'step-000006'));
    try {
      const reloaded = loaded.model as GptModel;
      assert.deepEqual([reloaded.options.headDim, reloaded.options.qkNorm, reloaded.params.get('blocks.0.attn.qNorm.weight')?.shape], [6, true, [6]]);
    } finally {
      loaded.dispose();
    }
    // A recipe contradicting the folder's head size is named, with the config key.
    await assert.rejects(runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'contra'), { model: { headDim: 4 } })), /model\.headDim: is 4 but .*config\.json says 6 \(head_dim\)/);
    // So is a scaling the folder does not have (rope_scaling null): it was trained without one.
    await assert.rejects(
      runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'scaled'), { model: { ropeScaling: { type: 'linear', factor: 2 } } })),
      /model\.ropeScaling: is \{"type":"linear","factor":2\} but .*config\.json has no RoPE scaling \(rope_scaling null or absent\), and its weights were trained without it.*remove model\.ropeScaling/s,
    );
  });

  it('refuses a sliding window, q/k/v biases and an odd head_dim, naming the key and what is supported', async () => {
    const window = await llamaLoadError(path.join(dir, 'a'), { kvHeads: 2, tied: true, qkNorm: true, config: { model_type: 'qwen3', head_dim: 6, use_sliding_window: true, sliding_window: 8 } });
    assert.match(window, /use_sliding_window is true and sliding_window is 8 but max_position_embeddings is 16; .* supports use_sliding_window false, or sliding_window null or at least max_position_embeddings/);
    const bias = await llamaLoadError(path.join(dir, 'b'), { kvHeads: 2, qkNorm: true, config: { model_type: 'qwen3', head_dim: 6, attention_bias: true } });
    assert.match(bias, /attention_bias is true; Floe supports false only \(Floe's Qwen3 has no biases in q\/k\/v\/o/);
    const odd = await llamaLoadError(path.join(dir, 'c'), { kvHeads: 2, qkNorm: true, config: { model_type: 'qwen3', head_dim: 5 } });
    assert.match(odd, /the head size \(head_dim\) is 5; rotary positions need an even head size/);
    // A Qwen3 folder without its norms is incomplete.
    const missing = await llamaLoadError(path.join(dir, 'd'), { kvHeads: 2, qkNorm: true, omit: ['model.layers.1.self_attn.q_norm.weight'], config: { model_type: 'qwen3', head_dim: 6 } });
    assert.match(missing, /no tensor for 'blocks\.1\.attn\.qNorm\.weight' \(Llama 'model\.layers\.1\.self_attn\.q_norm\.weight'\)/);
  });

  it('imports a Llama with its own head_dim (no q/k norms), matching the float64 HF forward', async () => {
    const hf = writeTinyLlamaFolder(path.join(dir, 'llama'), { kvHeads: 2, config: { head_dim: 6 } });
    const model = await loadLlamaModel(hf);
    try {
      assert.deepEqual([model.options.headDim, model.options.qkNorm], [6, undefined]);
      const diff = await llamaForwardDiff(model, hf);
      assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
    } finally {
      model.dispose();
    }
  });

  it('exports a Llama with its own headDim as llama with head_dim, and refuses combinations with no HF architecture', async () => {
    const llama = new GptModel({ vocabSize: 40, maxLength: 16, layers: 1, heads: 4, kvHeads: 2, dim: 16, headDim: 6, ffnDim: 40, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false }, new Rng(8));
    try {
      const out = path.join(dir, 'llama');
      const config = await exportHf(llama, out);
      assert.deepEqual([config.model_type, config.head_dim], ['llama', 6]);
      const exported = await readFolder(out);
      const logits = tf.tidy(() => llama.forward(tf.tensor2d([LLAMA_IDS], [1, LLAMA_IDS.length], 'int32')));
      assert.ok(maxAbsDiff(hfLlamaForward(exported, LLAMA_IDS).flat(), (await logits.data()) as Float32Array) < 1e-4, 'the HF reference reads head_dim');
      logits.dispose();
    } finally {
      llama.dispose();
    }
    const refused = (options: object, pattern: RegExp): void => {
      const o = resolveGptOptions({ vocabSize: 40, maxLength: 16, layers: 1, heads: 4, dim: 16, ...options });
      assert.throws(() => hfExportModelType(o), (e: unknown) => e instanceof CheckpointError && pattern.test(e.message) && /qwen3 \(as llama with qkNorm true\)/.test(e.message));
    };
    const rope = { norm: 'rmsnorm', position: 'rope', activation: 'swiglu' };
    refused({ ...rope, bias: 'qkv', qkNorm: true }, /model\.bias 'qkv' with model\.qkNorm true: Qwen2 has q\/k\/v biases but no q\/k norms, Qwen3 q\/k norms but no biases/);
    refused({ ...rope, bias: 'qkv', headDim: 6 }, /model\.bias 'qkv' with model\.headDim 6 \(not dim \/ heads = 4\)/);
    refused({ headDim: 6 }, /model\.headDim 6 is not model\.dim \/ model\.heads \(4\): GPT-2's head size is always n_embd \/ n_head/);
    refused({ qkNorm: true }, /model\.qkNorm true: GPT-2 has no per-head q\/k norms/);
  });
});
