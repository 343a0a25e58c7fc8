import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/errors';
import { checkBackendMemory, estimateGptMemory, optimizerStateSlots, resolveGptOptions, resolveLoraOptions } from '../../src/model';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { llamaFineTuneRecipe } from '../checkpoint/fixtures/llama-import';
import { writeTinyLlamaFolder } from '../checkpoint/fixtures/tiny-llama-folder';

/**
 * vocab 10, dim 4, 1 layer, ffn 8, 6 positions, layernorm + biases, tied head. By hand, from
 * gptParamSpecs' shapes: tokens 10·4 = 40, positions 6·4 = 24; the block: norm1 4+4, qkv 4·12+12,
 * out 4·4+4, norm2 4+4, up 4·8+8, down 8·4+4 = 172; final norm 4+4 = 8. Total 244.
 */
const TINY = { vocabSize: 10, maxLength: 6, layers: 1, heads: 2, dim: 4, ffnDim: 8 };
const ADAMW = optimizerStateSlots({ type: 'adamw' });

describe('estimateGptMemory', () => {
  it('counts weights, gradients and two AdamW moments per parameter as float32', () => {
    const e = estimateGptMemory({ model: resolveGptOptions(TINY), freeze: [], optimizer: ADAMW });
    assert.deepEqual([e.params, e.trainableParams], [244, 244]);
    assert.deepEqual([e.weightBytes, e.gradientBytes, e.optimizerBytes, e.totalBytes], [976, 976, 1952, 3904]);
  });

  it('counts one buffer for SGD with momentum and none without', () => {
    const model = resolveGptOptions(TINY);
    assert.equal(estimateGptMemory({ model, freeze: [], optimizer: optimizerStateSlots({ type: 'sgd', momentum: 0.9 }) }).totalBytes, 244 * 4 * 3);
    assert.equal(estimateGptMemory({ model, freeze: [], optimizer: optimizerStateSlots({ type: 'sgd', momentum: 0 }) }).totalBytes, 244 * 4 * 2);
  });

  it('leaves frozen weights out of gradients and optimizer state', () => {
    // embed.* freezes the token (40) and position (24) tables: 180 train.
    const e = estimateGptMemory({ model: resolveGptOptions(TINY), freeze: ['embed.*'], optimizer: ADAMW });
    assert.deepEqual([e.params, e.trainableParams, e.totalBytes], [244, 180, 244 * 4 + 180 * 4 * 3]);
  });

  it('with LoRA trains the adapters only, which add their own weights', () => {
    // qkv: lora_a [4, 2] + lora_b [2, 12] = 32.
    const model = resolveGptOptions({ ...TINY, lora: resolveLoraOptions({ rank: 2, targets: ['*.attn.qkv'] }) });
    const e = estimateGptMemory({ model, freeze: [], optimizer: ADAMW });
    assert.deepEqual([e.params, e.trainableParams, e.totalBytes], [276, 32, 276 * 4 + 32 * 4 * 3]);
  });
});

describe('checkBackendMemory', () => {
  const estimate = estimateGptMemory({ model: resolveGptOptions(TINY), freeze: [], optimizer: ADAMW });

  it('refuses an estimate above the wasm limit at the given path, with the breakdown and what to do', () => {
    assert.throws(
      () => checkBackendMemory({ estimate, backend: 'wasm', path: 'model.from', limitBytes: 3000 }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError, error.message);
        assert.equal(error.issues[0].path, 'model.from');
        const m = error.issues[0].message;
        assert.match(m, /^does not fit the wasm backend: 244 parameters \(244 trainable\) need at least 3\.8 KiB before activations: /);
        assert.match(m, /weights 1\.0 KiB \(float32\) \+ gradients 1\.0 KiB \+ optimizer state 1\.9 KiB \(adamw: 2 moments\)/);
        assert.match(m, /one WebAssembly memory of at most 2\.9 KiB/);
        assert.match(error.issues[0].hint ?? '', /^Train fewer weights \(with model\.lora or freeze: patterns.*a smaller model, or use backend: tensorflow after npm install @tensorflow\/tfjs-node/);
        assert.match(error.message, /at most 2\.9 KiB\. Train fewer weights/);
        return true;
      },
    );
  });

  it('warns above 75% of the limit and says nothing below it or on other backends', () => {
    const warning = checkBackendMemory({ estimate, backend: 'wasm', path: 'model', limitBytes: 4000 });
    assert.match(warning ?? '', /^model: 244 parameters .*98% of the wasm backend's/);
    assert.equal(checkBackendMemory({ estimate, backend: 'wasm', path: 'model', limitBytes: 10_000 }), undefined);
    assert.equal(checkBackendMemory({ estimate, backend: 'cpu', path: 'model', limitBytes: 3000 }), undefined);
    assert.equal(checkBackendMemory({ estimate, backend: 'tensorflow', path: 'model', limitBytes: 3000 }), undefined);
  });
});

describe('GptModelFactory memory check', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-gpt-memory-')));
  afterEach(() => cleanup());

  it('refuses a fresh model the wasm memory cannot hold at model, before building any weight', async () => {
    const base = tinyGptRecipe(path.join(dir, 'run'));
    // 871,305,216 parameters (16 × 50,358,272 per block + 65,568,768 embeddings + 4,096 final norm):
    // 3.25 GiB of float32 weights, 12.98 GiB with gradients and AdamW; never allocated.
    const recipe = { ...base, backend: 'wasm', trainIters: 1, checkpoint: [], scheduler: { type: 'constant' }, model: { type: 'gpt', layers: 16, heads: 32, dim: 2048, ffnDim: 8192, vocabSize: 32_000, maxLength: 16 } };
    const before = tf.memory().numTensors;
    await assert.rejects(runRecorded(recipe), (error: Error) => {
      assert.ok(error instanceof ConfigError, error.message);
      assert.equal(error.issues[0].path, 'model');
      assert.match(error.message, /model: does not fit the wasm backend: 871,305,216 parameters \(871,305,216 trainable\) need at least 12\.98 GiB .*at most 4\.00 GiB/);
      return true;
    });
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('GptModelFactory memory check with model.from', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-gpt-memory-from-')));
  afterEach(() => cleanup());

  /** A tiny Llama folder whose config.json claims Llama 3.2 1B's shape: refused before its (tiny) weights are read. */
  function llama1bFolder(): string {
    const hf = writeTinyLlamaFolder(path.join(dir, 'hf'));
    const file = path.join(hf.dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const big = { hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128_256, tie_word_embeddings: true };
    fs.writeFileSync(file, JSON.stringify({ ...config, ...big }));
    return hf.dir;
  }

  // 128,256·2048 embeddings + 16 × (q 2048² + k, v 2·2048·512 + o 2048² + 3·2048·8192 + 2 norms 2048) + 2048 = 1,235,814,400.
  for (const [label, model, counts, total] of [
    ['full fine-tuning', {}, '1,235,814,400 parameters (1,235,814,400 trainable)', '18.42 GiB'],
    // Rank 8 on qkv and out: 16 × ((2048·8 + 8·3072) + (2048·8 + 8·2048)) = 1,179,648 trainable, 1,236,994,048 in all.
    ['LoRA, whose float32 base weights alone exceed it', { lora: { rank: 8 } }, '1,236,994,048 parameters (1,179,648 trainable)', '4.62 GiB'],
  ] as const) {
    it(`refuses a 1 B Llama folder on wasm at model.from (${label})`, async () => {
      const recipe = { ...llamaFineTuneRecipe(llama1bFolder(), path.join(dir, 'run'), { model }), backend: 'wasm' };
      const before = tf.memory().numTensors;
      await assert.rejects(runRecorded(recipe), (error: Error) => {
        assert.ok(error instanceof ConfigError, error.message);
        assert.equal(error.issues[0].path, 'model.from');
        assert.ok(error.issues[0].message.startsWith(`does not fit the wasm backend: ${counts} need at least ${total}`), error.message);
        return true;
      });
      assert.equal(tf.memory().numTensors, before);
    });
  }
});
