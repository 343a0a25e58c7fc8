import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import '@tensorflow/tfjs-backend-wasm';
import { validateRecipe } from '../../src';
import { ConfigError } from '../../src/errors';
import { estimateGptActivations, estimateGptMemory, generate, GptModel, GptOptions, gptParamSpecs, resolveGptOptions } from '../../src/model';
import { Rng } from '../../src/random';
import { assertClose, expectNoLeak } from '../support/tensors';
import { expectConfigError, useRecipeDir } from '../config/recipe-dir';
import { cachedLogits, logitsOf, randomizeParams } from './helpers';

/** Gemma 3's shape at toy size: 4 heads of 6 over 1 key/value head, every Gemma setting, 4 layers (pattern 2). */
const GEMMA: GptOptions = {
  vocabSize: 11, maxLength: 32, layers: 4, heads: 4, kvHeads: 1, dim: 16, headDim: 6, ffnDim: 24, norm: 'rmsnorm', position: 'rope', activation: 'geglu', bias: false,
  qkNorm: true, normOffset: 1, sandwichNorm: true, embedScale: 4, attnScale: 0.3, slidingWindow: 12, slidingWindowPattern: 2, ropeTheta: 1e6, ropeLocalTheta: 100,
};

function configIssues(options: GptOptions): string[] {
  try {
    resolveGptOptions(options);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return assert.fail('expected a ConfigError');
}

describe('GptModel Gemma 3 options', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('adds the sandwich norms and the GeGLU gate, norms starting at 0 with normOffset 1; the defaults change nothing', () => {
    const specs = gptParamSpecs(resolveGptOptions(GEMMA));
    const byName = new Map(specs.map((s) => [s.name, s]));
    assert.deepEqual(specs.filter((s) => s.name.startsWith('blocks.0.')).map((s) => s.name), [
      'blocks.0.norm1.weight', 'blocks.0.attn.qkv.weight', 'blocks.0.attn.qNorm.weight', 'blocks.0.attn.kNorm.weight', 'blocks.0.attn.out.weight', 'blocks.0.postAttnNorm.weight',
      'blocks.0.norm2.weight', 'blocks.0.mlp.up.weight', 'blocks.0.mlp.gate.weight', 'blocks.0.mlp.down.weight', 'blocks.0.postMlpNorm.weight',
    ]);
    assert.deepEqual([byName.get('norm.weight')?.init, byName.get('blocks.2.attn.kNorm.weight')?.init], ['zeros', 'zeros']);
    // Defaults written out record nothing and draw the same weights.
    const plain: GptOptions = { ...GEMMA, activation: 'swiglu', qkNorm: undefined, normOffset: undefined, sandwichNorm: undefined, embedScale: undefined, attnScale: undefined, slidingWindow: undefined, slidingWindowPattern: undefined, ropeLocalTheta: undefined };
    const explicit: GptOptions = { ...plain, normOffset: 0, sandwichNorm: false, embedScale: 1 };
    assert.deepEqual(resolveGptOptions(explicit), resolveGptOptions(plain));
    for (const key of ['normOffset', 'sandwichNorm', 'embedScale', 'attnScale', 'slidingWindow', 'slidingWindowPattern', 'ropeLocalTheta']) assert.equal(key in resolveGptOptions(explicit), false, key);
    assert.deepEqual(gptParamSpecs(resolveGptOptions(explicit)), gptParamSpecs(resolveGptOptions(plain)));
  });

  it('refuses bad values, naming the option and what is allowed', () => {
    assert.deepEqual(configIssues({ ...GEMMA, normOffset: 2 as 1 }), ['normOffset: must be 0 (norms scale by w) or 1 (by 1 + w, Gemma), got 2']);
    assert.deepEqual(configIssues({ ...GEMMA, embedScale: 0 }), ['embedScale: must be a finite positive number, got 0']);
    assert.deepEqual(configIssues({ ...GEMMA, slidingWindowPattern: 1 }), ['slidingWindowPattern: must be an integer of at least 2 (every pattern-th layer is global), got 1']);
    assert.deepEqual(configIssues({ ...GEMMA, slidingWindowPattern: undefined }), [
      'slidingWindow: needs slidingWindow and slidingWindowPattern together (the local layers and their window)',
      'ropeLocalTheta: is the RoPE base of the local layers: it needs slidingWindow and slidingWindowPattern',
    ]);
    assert.deepEqual(configIssues({ ...GEMMA, activation: 'reglu' as 'geglu' }), ["activation: unknown value 'reglu'. Supported: gelu, swiglu, geglu"]);
  });

  it('GeGLU is down(gelu_tanh(gate(x)) · up(x)) to float32 rounding of a float64 reference', async () => {
    const options: GptOptions = { vocabSize: 5, maxLength: 4, layers: 1, heads: 1, dim: 2, ffnDim: 3, norm: 'rmsnorm', position: 'rope', activation: 'geglu', bias: false };
    const model = new GptModel(options, new Rng(2));
    try {
      randomizeParams(model, 9, 1.5);
      const read = (name: string): Float32Array => (model.params.get(name) as tf.Variable).dataSync() as Float32Array;
      const [up, gate, down] = ['blocks.0.mlp.up.weight', 'blocks.0.mlp.gate.weight', 'blocks.0.mlp.down.weight'].map(read);
      const x = [0.7, -1.9];
      const gelu = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
      const col = (w: Float32Array, j: number, width: number): number => x.reduce((a, xi, i) => a + xi * w[i * width + j], 0);
      const hidden = Array.from({ length: 3 }, (_, j) => gelu(col(gate, j, 3)) * col(up, j, 3));
      const expected = Array.from({ length: 2 }, (_, o) => hidden.reduce((a, hj, j) => a + hj * down[j * 2 + o], 0));
      const mlp = (model as unknown as { mlp(prefix: string, h: tf.Tensor2D): tf.Tensor2D }).mlp.bind(model);
      const got = tf.tidy(() => mlp('blocks.0', tf.tensor2d([x]))).dataSync();
      assertClose(got, expected, 2e-6, 'GeGLU vs float64');
    } finally {
      model.dispose();
    }
  });

  it('a cached decode equals the full forward on cpu and wasm, and the wasm forward the cpu one', async () => {
    const model = new GptModel(GEMMA, new Rng(3));
    try {
      randomizeParams(model, 41, 0.3);
      const rows = [[1, 2, 3, 4, 5, 6, 0, 7, 8, 9, 10, 1], [6, 5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7]];
      const cpu = await logitsOf(model, rows);
      assertClose(await expectNoLeak(() => cachedLogits(model, rows, [3, 1, 2, 1, 5]), 'cached forward'), cpu, 1e-5, 'cached vs full forward');
      await tf.setBackend('wasm');
      try {
        assertClose(await logitsOf(model, rows), cpu, 1e-4, 'wasm vs cpu');
        assertClose(await cachedLogits(model, rows, [5, 1, 6]), cpu, 1e-4, 'wasm cached vs cpu');
      } finally {
        await tf.setBackend('cpu');
      }
    } finally {
      model.dispose();
    }
  });

  it('counts gemma-3-270m: 268,098,176 parameters (HF says 268M), and the estimate adds GeGLU, sandwich norms and the scaled embeddings', () => {
    const gemma270m = resolveGptOptions({
      vocabSize: 262144, maxLength: 32768, layers: 18, heads: 4, kvHeads: 1, dim: 640, headDim: 256, ffnDim: 2048, norm: 'rmsnorm', position: 'rope', activation: 'geglu', bias: false,
      qkNorm: true, normOffset: 1, sandwichNorm: true, embedScale: Math.sqrt(640), attnScale: 256 ** -0.5, slidingWindow: 512, slidingWindowPattern: 6, ropeTheta: 1e6, ropeLocalTheta: 10000,
    });
    const memory = estimateGptMemory({ model: gemma270m, freeze: [], optimizer: { slots: 2, label: 'adamw' } });
    assert.equal(memory.params, 268_098_176);
    // Per row on top of the SwiGLU model's: GeGLU 2·2048, sandwich norms 4·640, scaled embeddings 1·640 = 7360 floats.
    const swiglu = resolveGptOptions({ ...gemma270m, activation: 'swiglu', normOffset: undefined, sandwichNorm: undefined, embedScale: undefined } as GptOptions);
    const rows = { batch: 1, length: 512, fusedAttention: false, mode: 'training' as const };
    const extra = estimateGptActivations({ model: gemma270m, ...rows }).bytes - estimateGptActivations({ model: swiglu, ...rows }).bytes;
    const paramsCredit = -0.5 * 4 * (memory.params - estimateGptMemory({ model: swiglu, freeze: [], optimizer: { slots: 2, label: 'adamw' } }).params);
    assert.ok(Math.abs(extra - (4 * 512 * (18 * (2 * 2048 + 4 * 640) + 640) + paramsCredit)) <= 4, `extra ${extra}`);
  });

  it('refuses a sequence past slidingWindow (full causal attention is the window only up to it), and generate before it runs', async () => {
    const model = new GptModel(GEMMA, new Rng(3));
    const ids = tf.tensor2d([Array.from({ length: 13 }, (_, i) => i % 11)], [1, 13], 'int32');
    try {
      assert.throws(() => model.forward(ids), /sequence length 13 is past the model's slidingWindow 12 \(model\.slidingWindow; HF's sliding_window\)/);
      // 5 prompt tokens + 8 new feed the model 12 tokens: the window holds them; one more does not.
      assert.equal((await expectNoLeak(() => generate(model, [1, 2, 3, 4, 5], { maxNewTokens: 8, temperature: 0 }), 'generate')).length, 8);
      await assert.rejects(generate(model, [1, 2, 3, 4, 5], { maxNewTokens: 9, temperature: 0 }), /generate: a prompt of 5 tokens and maxNewTokens 9 run the model over 13 tokens, past its slidingWindow 12 .* Ask for at most 8 new tokens, or shorten the prompt/);
    } finally {
      ids.dispose();
      model.dispose();
    }
  });

  describe('in a recipe', () => {
    const recipes = useRecipeDir();

    it('reports data.maxLength past model.slidingWindow and a window without its pattern, with file:line:col', async () => {
      const r = recipes();
      const lines = ['type: causal', 'data: { sources: [{ type: synthetic }], maxLength: 64 }', 'model:', '  type: gpt', '  position: rope', '  slidingWindow: 32', ''];
      const error = await expectConfigError(validateRecipe(r.write('recipe.yaml', lines.join('\n'))));
      assert.deepEqual(error.issues.map((i) => i.path), ['model.slidingWindow']);
      assert.match(error.message, /model\.slidingWindow: needs slidingWindow and slidingWindowPattern together/);
      const fixed = [...lines.slice(0, 6), '  slidingWindowPattern: 6', ''];
      const again = await expectConfigError(validateRecipe(r.write('recipe2.yaml', fixed.join('\n'))));
      assert.match(again.message, /model\.slidingWindow: is 32 but data\.maxLength is 64: Floe's attention is full causal.*lower data\.maxLength to 32 \(.*recipe2\.yaml:6:18\)/);
    });
  });
});
