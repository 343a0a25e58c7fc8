import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { buildGptGraph, exportModel, hfExportModelType, openGptSource, readSafetensors } from '../../src/checkpoint';
import { loadCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { frugalVariableGrads } from '../../src/autograd';
import { CheckpointError } from '../../src/errors';
import { crossEntropyLoss, GptModel, isLoraParamName, KvCache, LanguageModelTrainer, resolveGptOptions } from '../../src';
import { maxAbsDiff } from '../support/tensors';
import { runRecorded } from './fixtures/tiny-gpt-run';
import { assertReloadedBitForBit, LLAMA_IDS, llamaFineTuneRecipe, loadLlamaModel } from './fixtures/llama-import';
import { Gemma3ReferenceOptions, hfGemma3Forward, writeTinyGemma3Folder } from './fixtures/tiny-gemma3-folder';
import { TinyLlama, TinyLlamaConfig, TinyLlamaOptions } from './fixtures/tiny-llama-folder';
import { makeTempDir } from './temp-dir';


/** Max |Floe − reference| over LLAMA_IDS and its reverse. */
async function forwardDiff(model: GptModel, hf: TinyLlama): Promise<number> {
  const rows = [LLAMA_IDS, LLAMA_IDS.slice().reverse()];
  const logits = tf.tidy(() => model.forward(tf.tensor2d(rows, [2, LLAMA_IDS.length], 'int32')));
  const got = (await logits.array()) as number[][][];
  logits.dispose();
  return maxAbsDiff(got.flat(2), rows.map((ids) => hfGemma3Forward(hf, ids)).flat(2));
}

/** The CheckpointError opening a tiny Gemma 3 folder written with `options` gives. */
async function gemmaOpenError(dir: string, options: TinyLlamaOptions): Promise<string> {
  writeTinyGemma3Folder(dir, options);
  try {
    await openGptSource(dir);
  } catch (error) {
    assert.ok(error instanceof CheckpointError, `${(error as Error).name}: ${(error as Error).message}`);
    return error.message;
  }
  return assert.fail('expected a CheckpointError');
}

describe('HuggingFace Gemma 3 text import and export (model_type gemma3_text)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-gemma3-')));
  afterEach(() => cleanup());

  it('maps every Gemma 3 setting; the logits match the float64 HF forward, which each setting changes', async () => {
    const hf = writeTinyGemma3Folder(path.join(dir, 'gemma'));
    const ref = hfGemma3Forward(hf, LLAMA_IDS).flat();
    // Not vacuous: leaving out any one of Gemma's differences moves the reference far past the tolerance.
    const mutations: Gemma3ReferenceOptions[] = [{ plainNorms: true }, { noEmbedScale: true }, { silu: true }, { noSandwich: true }, { noQkNorm: true }, { headDimScale: true }, { globalRopeOnly: true }];
    for (const m of mutations) assert.ok(maxAbsDiff(hfGemma3Forward(hf, LLAMA_IDS, m).flat(), ref) > 1e-2, `${JSON.stringify(m)} shows in the logits`);
    const before = tf.memory().numTensors;
    const model = await loadLlamaModel(hf);
    try {
      const o = model.options;
      assert.deepEqual(
        [o.activation, o.normOffset, o.sandwichNorm, o.qkNorm, o.headDim, o.kvHeads, o.embedScale, o.attnScale, o.slidingWindow, o.slidingWindowPattern, o.ropeLocalTheta, o.ropeTheta, o.tieEmbeddings, o.bias],
        ['geglu', 1, true, true, 6, 1, 4, 24 ** -0.5, 16, 3, 10000, 1e6, true, false],
      );
      assert.deepEqual(model.params.get('blocks.5.postMlpNorm.weight')?.shape, [16]);
      assert.deepEqual(model.params.get('blocks.0.mlp.gate.weight')?.shape, [16, 40]);
      const diff = await forwardDiff(model, hf);
      assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'nothing left behind');
  });

  it('decodes with a KV cache as the full forward, and refuses a context past sliding_window', async () => {
    const hf = writeTinyGemma3Folder(path.join(dir, 'gemma'));
    const model = await loadLlamaModel(hf);
    const cache = new KvCache();
    try {
      const full = tf.tidy(() => model.forward(tf.tensor2d([LLAMA_IDS], [1, LLAMA_IDS.length], 'int32')));
      const fullData = (await full.data()) as Float32Array;
      full.dispose();
      const cached: number[] = [];
      let at = 0;
      for (const n of [5, 1, 3, 1, 4]) {
        const logits = tf.tidy(() => model.forward(tf.tensor2d([LLAMA_IDS.slice(at, at + n)], [1, n], 'int32'), { cache }));
        cached.push(...((await logits.data()) as Float32Array));
        logits.dispose();
        at += n;
      }
      assert.ok(maxAbsDiff(cached, fullData) < 1e-5, 'cached decode = full forward');
      // 14 cached + 3 = 17 > the window of 16: full causal attention would no longer be Gemma's.
      const more = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
      assert.throws(() => model.forward(more, { cache }), /the KV cache holds 14 tokens; 3 more make 17, past the model's slidingWindow 16 \(model\.slidingWindow; HF's sliding_window\)/);
      more.dispose();
      const long = tf.tensor2d([Array.from({ length: 17 }, (_, i) => i + 1)], [1, 17], 'int32');
      assert.throws(() => model.forward(long), /sequence length 17 is past the model's slidingWindow 16/);
      long.dispose();
    } finally {
      cache.dispose();
      model.dispose();
    }
  });

  it('import → export --format hf → import round-trips bit for bit, as a gemma3_text folder', async () => {
    const hf = writeTinyGemma3Folder(path.join(dir, 'gemma'));
    const model = await loadLlamaModel(hf);
    const out = path.join(dir, 'export');
    try {
      const before = tf.memory().numTensors;
      await exportModel(model, out, { format: 'hf', modelType: 'gpt' });
      assert.equal(tf.memory().numTensors, before, 'the export left no tensor');
      const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      const picked = ['architectures', 'model_type', 'head_dim', 'num_key_value_heads', 'hidden_activation', 'query_pre_attn_scalar', 'sliding_window', 'sliding_window_pattern', 'layer_types', 'rope_theta', 'rope_local_base_freq', 'final_logit_softcapping', 'tie_word_embeddings'];
      assert.deepEqual(
        picked.map((key) => config[key]),
        [['Gemma3ForCausalLM'], 'gemma3_text', 6, 1, 'gelu_pytorch_tanh', 24, 16, 3, hf.config.layer_types, 1e6, 10000, null, true],
      );
      const { tensors } = await readSafetensors(path.join(out, 'model.safetensors'));
      const weights = new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, data: Array.from(t.data as Float32Array) }]));
      assert.deepEqual([...weights.keys()].sort(), [...hf.weights.keys()].sort());
      for (const [name, w] of hf.weights) assert.deepEqual(weights.get(name), w, `${name} exported bit for bit (Gemma's w, not 1 + w)`);
      const exported: TinyLlama = { dir: out, config: config as TinyLlamaConfig, weights };
      assert.equal(maxAbsDiff(hfGemma3Forward(exported, LLAMA_IDS).flat(), hfGemma3Forward(hf, LLAMA_IDS).flat()), 0);
      await assertReloadedBitForBit(await loadLlamaModel(exported), model);
    } finally {
      model.dispose();
    }
  });

  it('refuses to export part of Gemma 3 as hf (no architecture computes it) and any of it as a tfjs graph', async () => {
    const llama = { vocabSize: 40, maxLength: 16, layers: 2, heads: 4, dim: 16, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false } as const;
    assert.throws(
      () => hfExportModelType(resolveGptOptions({ ...llama, sandwichNorm: true })),
      (e: unknown) => e instanceof CheckpointError && /it has Gemma settings \(model\.sandwichNorm true\) but not all of Gemma 3's: it also needs model\.activation geglu, model\.qkNorm true, model\.normOffset 1, model\.embedScale √dim \(4\)/.test(e.message),
    );
    const hf = writeTinyGemma3Folder(path.join(dir, 'gemma'));
    const model = await loadLlamaModel(hf);
    try {
      await assert.rejects(buildGptGraph(model), /Cannot export the model as a tfjs graph \(--format tfjs\): it has Gemma settings the graph export does not build \(model\.normOffset 1, .*model\.slidingWindow 16, model\.activation "geglu"\)\. Export with --format safetensors or --format hf/);
    } finally {
      model.dispose();
    }
  });

  it('checkpoints activations with gradients bit-identical to the plain forward', async () => {
    const hf = writeTinyGemma3Folder(path.join(dir, 'gemma'));
    const plain = await loadLlamaModel(hf);
    const checkpointed = await loadLlamaModel(hf, { activationCheckpointing: true });
    const ids = tf.tensor2d([LLAMA_IDS.slice(0, 13), LLAMA_IDS.slice(1)], [2, 13], 'int32');
    const labels = tf.tensor2d([LLAMA_IDS.slice(1), LLAMA_IDS.slice(0, 13).reverse()], [2, 13], 'int32');
    const weights = tf.ones([2, 13]) as tf.Tensor2D;
    const grads = (model: GptModel): Map<string, Float32Array> => {
      const vars = [...model.params.values()];
      const nameOf = new Map([...model.params].map(([name, v]) => [v.name, name]));
      const { value, grads: g } = frugalVariableGrads(() => crossEntropyLoss(model.forward(ids, { training: true }), labels, weights), vars);
      const out = new Map<string, Float32Array>([['loss', value.dataSync() as Float32Array]]);
      for (const [name, t] of Object.entries(g)) out.set(nameOf.get(name) as string, t.dataSync() as Float32Array);
      tf.dispose([value, ...Object.values(g)]);
      return out;
    };
    try {
      const before = tf.memory().numTensors;
      const expected = grads(plain);
      const actual = grads(checkpointed);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      assert.ok(expected.has('blocks.3.postAttnNorm.weight') && expected.has('blocks.2.attn.kNorm.weight'), 'the Gemma weights get gradients');
      assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
      for (const [name, e] of expected) {
        const a = actual.get(name) as Float32Array;
        const first = a.findIndex((v, i) => !Object.is(v, e[i]));
        assert.equal(first, -1, `${name}[${first}] is ${a[first]} checkpointed, ${e[first]} plain`);
      }
    } finally {
      tf.dispose([ids, labels, weights]);
      plain.dispose();
      checkpointed.dispose();
    }
  });

  it('fine-tunes with LoRA from the folder (falling loss), the checkpoint keeping the Gemma settings', async () => {
    const hf = writeTinyGemma3Folder(path.join(dir, 'gemma'));
    let diff = Infinity;
    const before = tf.memory().numTensors;
    const run = await runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'run'), { model: { lora: { rank: 2, alpha: 4, targets: ['*.attn.qkv', '*.attn.out', '*.mlp.gate', '*.mlp.up'] } } }), {
      onTrainerReady: async (trainer) => {
        diff = await forwardDiff((trainer as LanguageModelTrainer).gpt, hf);
      },
    });
    assert.ok(diff < 1e-4, `LoRA starts at the reference: max |Floe − reference| = ${diff}`);
    const losses = [...run.losses.values()];
    assert.ok(losses.every(Number.isFinite) && Math.max(...losses.slice(-2)) < losses[0], `the loss falls: ${losses.join(', ')}`);
    assert.equal(tf.memory().numTensors, before, 'the run freed its tensors');
    const step = path.join(dir, 'run', 'checkpoints', 'step-000006');
    const saved = JSON.parse(fs.readFileSync(path.join(step, 'model-config.json'), 'utf8')).options;
    assert.deepEqual([saved.activation, saved.normOffset, saved.sandwichNorm, saved.slidingWindow, saved.slidingWindowPattern, saved.ropeLocalTheta], ['geglu', 1, true, 16, 3, 10000]);
    const loaded = await loadCheckpointModel(step);
    try {
      const reloaded = loaded.model as GptModel;
      assert.ok([...reloaded.params.keys()].some(isLoraParamName));
      assert.deepEqual([reloaded.options.embedScale, reloaded.options.attnScale], [4, 24 ** -0.5]);
    } finally {
      loaded.dispose();
    }
  });

  it('refuses data.maxLength past sliding_window, naming both settings', async () => {
    const hf = writeTinyGemma3Folder(path.join(dir, 'gemma'), { config: { sliding_window: 8 } });
    await assert.rejects(runRecorded(llamaFineTuneRecipe(hf.dir, path.join(dir, 'run'))), /data\.maxLength: is 12 but the model \(from .*config\.json\)'s sliding_window is 8: Floe's attention is full causal.*set data\.maxLength to 8 or less/);
  });

  it('refuses soft-capping (Gemma 2), bidirectional attention, another activation and irregular layer types, naming the key', async () => {
    assert.match(await gemmaOpenError(path.join(dir, 'a'), { config: { final_logit_softcapping: 30 } }), /final_logit_softcapping is 30; Floe supports null only \(Gemma 3 has none/);
    assert.match(await gemmaOpenError(path.join(dir, 'b'), { config: { attn_logit_softcapping: 50 } }), /attn_logit_softcapping is 50; Floe supports null only/);
    assert.match(await gemmaOpenError(path.join(dir, 'c'), { config: { use_bidirectional_attention: true } }), /use_bidirectional_attention is true; Floe supports false only/);
    assert.match(await gemmaOpenError(path.join(dir, 'd'), { config: { hidden_activation: 'gelu' } }), /hidden_activation is "gelu"; Floe supports "gelu_pytorch_tanh" only/);
    const irregular = ['sliding_attention', 'full_attention', 'sliding_attention', 'sliding_attention', 'sliding_attention', 'full_attention'];
    assert.match(await gemmaOpenError(path.join(dir, 'e'), { config: { layer_types: irregular } }), /layer_types .* is not a repeating pattern/);
    // Gemma 2 is another model_type: named with the ones Floe reads.
    assert.match(await gemmaOpenError(path.join(dir, 'f'), { config: { model_type: 'gemma2' } }), /model_type "gemma2"; Floe reads model_type gpt2, llama, mistral, qwen2, qwen3, gemma3_text/);
  });

  it("reads newer transformers' rope_parameters as rope_theta / rope_local_base_freq / rope_scaling, refusing what contradicts them", async () => {
    const scaled = writeTinyGemma3Folder(path.join(dir, 'a'), { config: { rope_scaling: { rope_type: 'linear', factor: 8 } } });
    // rope_scaling rescales the full layers only: the logits match the reference that does so.
    const model = await loadLlamaModel(scaled);
    try {
      const diff = await forwardDiff(model, scaled);
      assert.ok(diff < 1e-4, `linear scaling on the full layers: max |Floe − reference| = ${diff}`);
    } finally {
      model.dispose();
    }
    const legacy = await openGptSource(scaled.dir);
    const ropeParameters = { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 10000 } };
    const newer = await openGptSource(writeTinyGemma3Folder(path.join(dir, 'b'), { config: { rope_theta: undefined, rope_local_base_freq: undefined, rope_parameters: ropeParameters } }).dir);
    assert.deepEqual(newer.architecture, legacy.architecture);
    assert.deepEqual([newer.architecture.ropeScaling, newer.architecture.ropeTheta, newer.architecture.ropeLocalTheta], [{ type: 'linear', factor: 8 }, 1e6, 10000]);
    assert.match(await gemmaOpenError(path.join(dir, 'c'), { config: { rope_local_base_freq: 500, rope_parameters: ropeParameters } }), /rope_local_base_freq is 500 but rope_parameters says 10000; give one or make them agree/);
    const scaledLocal = { ...ropeParameters, sliding_attention: { rope_type: 'linear', factor: 2, rope_theta: 10000 } };
    assert.match(await gemmaOpenError(path.join(dir, 'd'), { config: { rope_parameters: scaledLocal } }), /rope_parameters\.sliding_attention is .*; Floe supports rope_type "default" \(plain RoPE\) on the sliding layers only/);
  });

  it('reads sliding_window_pattern when layer_types is absent (older transformers), and all-full layer types as no local layers', async () => {
    const byPattern = writeTinyGemma3Folder(path.join(dir, 'a'), { config: { layer_types: undefined, sliding_window_pattern: 3 } });
    const model = await loadLlamaModel(byPattern);
    try {
      assert.equal(model.options.slidingWindowPattern, 3);
      // The same folder as with layer_types: the reference reads layer_types from the written config.
      const diff = await forwardDiff(model, { ...byPattern, config: { ...byPattern.config, layer_types: writeTinyGemma3Folder(path.join(dir, 'b')).config.layer_types } });
      assert.ok(diff < 1e-4, `max |Floe − reference| = ${diff}`);
    } finally {
      model.dispose();
    }
    writeTinyGemma3Folder(path.join(dir, 'c'), { config: { layer_types: Array(6).fill('full_attention') } });
    const full = await openGptSource(path.join(dir, 'c'));
    assert.deepEqual([full.architecture.slidingWindow, full.architecture.slidingWindowPattern, full.architecture.ropeLocalTheta], [undefined, undefined, undefined]);
  });
});
