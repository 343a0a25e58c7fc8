import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import '@tensorflow/tfjs-backend-wasm';
import { validateRecipe } from '../../src';
import { ConfigError } from '../../src/errors';
import { GptModel, GptOptions, gptParamSpecs, resolveGptOptions } from '../../src/model';
import { Rng } from '../../src/random';
import { assertClose, expectNoLeak, maxAbsDiff } from '../support/tensors';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { expectConfigError, useRecipeDir } from '../config/recipe-dir';
import { cachedLogits, logitsOf, randomizeParams } from './helpers';

/** Qwen3's shape at toy size: 16 wide, 4 heads of 6 (not 16 / 4), 2 key/value heads, q/k norms. */
const QWEN3: GptOptions = { vocabSize: 11, maxLength: 16, layers: 2, heads: 4, kvHeads: 2, dim: 16, headDim: 6, qkNorm: true, ffnDim: 24, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false };


function configIssue(options: GptOptions): { path: string; message: string } {
  try {
    resolveGptOptions(options);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.issues.length, 1, error.message);
    return error.issues[0];
  }
  return assert.fail('expected a ConfigError');
}

describe('GptModel headDim and qkNorm (Qwen3)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('shapes the weights: q heads·headDim wide, out [heads·headDim, dim], qNorm/kNorm [headDim]', () => {
    const specs = new Map(gptParamSpecs(resolveGptOptions(QWEN3)).map((s) => [s.name, s.shape]));
    assert.deepEqual(specs.get('blocks.1.attn.qkv.weight'), [16, 24 + 12 + 12]);
    assert.deepEqual(specs.get('blocks.1.attn.out.weight'), [24, 16]);
    assert.deepEqual([specs.get('blocks.0.attn.qNorm.weight'), specs.get('blocks.0.attn.kNorm.weight')], [[6], [6]]);
    // The default is today's model: no new option recorded, no new weight, the same draws.
    const plain = { ...QWEN3, headDim: undefined, qkNorm: undefined };
    const explicit = { ...plain, headDim: 4, qkNorm: false };
    assert.deepEqual(resolveGptOptions(explicit), resolveGptOptions(plain));
    assert.equal('headDim' in resolveGptOptions(explicit), false);
    assert.deepEqual(gptParamSpecs(resolveGptOptions(explicit)), gptParamSpecs(resolveGptOptions(plain)));
  });

  it('refuses a bad headDim or qkNorm, naming the option and what is allowed', () => {
    assert.match(JSON.stringify(configIssue({ ...QWEN3, headDim: 5 })), /"path":"headDim","message":"rope rotates channel pairs, so it must be even, got 5"/);
    assert.match(JSON.stringify(configIssue({ ...QWEN3, headDim: 0 })), /"path":"headDim","message":"must be a positive integer \(the width of one attention head\), got 0"/);
    assert.match(JSON.stringify(configIssue({ ...QWEN3, qkNorm: 'yes' as unknown as boolean })), /"path":"qkNorm","message":"must be true or false, got \\"yes\\""/);
    // With headDim, heads need not divide dim (Qwen3-0.6B: 1024 wide, 16 heads of 128).
    assert.equal(resolveGptOptions({ ...QWEN3, heads: 3, kvHeads: 1 }).headDim, 6);
  });

  it('normalises each q and k head: the logits change with the norm weights, and a cached decode equals the full forward', async () => {
    const model = new GptModel(QWEN3, new Rng(3));
    try {
      randomizeParams(model, 41);
      const rows = [
        [1, 2, 3, 4, 5, 6, 0],
        [6, 5, 4, 3, 2, 1, 2],
      ];
      const full = await logitsOf(model, rows);
      const pieces = await expectNoLeak(() => cachedLogits(model, rows, [3, 1, 2, 1]), 'cached forward');
      assertClose(pieces, full, 1e-5, 'cached vs full forward');
      // Not vacuous: the q/k norm weights reach the logits.
      const k = model.params.get('blocks.0.attn.kNorm.weight') as tf.Variable;
      tf.tidy(() => k.assign(tf.mul(k, 2)));
      assert.ok(maxAbsDiff(await logitsOf(model, rows), full) > 1e-3, 'kNorm shows in the logits');
    } finally {
      model.dispose();
    }
  });

  it('the fused attention (wasm, equal heads) and the grouped composite agree with the cpu forward', async () => {
    const variants: GptOptions[] = [{ ...QWEN3, kvHeads: 4 }, QWEN3];
    for (const options of variants) {
      const model = new GptModel(options, new Rng(4));
      try {
        randomizeParams(model, 43);
        const rows = [[3, 1, 4, 1, 5, 9, 2, 6]];
        const cpu = await logitsOf(model, rows);
        await tf.setBackend('wasm');
        try {
          assertClose(await logitsOf(model, rows), cpu, 1e-4, `wasm, kvHeads ${options.kvHeads}`);
          assertClose(await cachedLogits(model, rows, [5, 1, 1, 1]), cpu, 1e-4, `wasm cached, kvHeads ${options.kvHeads}`);
        } finally {
          await tf.setBackend('cpu');
        }
      } finally {
        model.dispose();
      }
    }
  });

  describe('in a recipe', () => {
    const recipes = useRecipeDir();

    it('reports an odd headDim with rope and a non-boolean qkNorm at model.*, with file:line:col', async () => {
      const r = recipes();
      const lines = ['type: causal', 'data: { sources: [{ type: synthetic }] }', 'model:', '  type: gpt', '  position: rope', '  headDim: 5', '  qkNorm: sometimes', ''];
      const error = await expectConfigError(validateRecipe(r.write('recipe.yaml', lines.join('\n'))));
      assert.deepEqual(error.issues.map((i) => i.path).sort(), ['model.headDim', 'model.qkNorm']);
      const at = (line: number, col: number): string => r.at('recipe.yaml', line, col).replace(/[.\\]/g, '\\$&');
      assert.match(error.message, new RegExp(`model\\.headDim: is 5 but position: rope rotates channel pairs, so the head size must be even \\(e\\.g\\. 6\\) \\(${at(6, 12)}\\)`));
      assert.match(error.message, new RegExp(`model\\.qkNorm: .*boolean.*\\(${at(7, 11)}\\)`));
    });

    it('trains a Qwen3-shaped model (3 heads of 6 on dim 16, q/k norms) with a falling loss', async () => {
      const { dir, cleanup } = await makeTempDir('floe-qk-norm-');
      try {
        const model = { type: 'gpt', layers: 2, heads: 3, kvHeads: 1, dim: 16, headDim: 6, qkNorm: true, maxLength: 16, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false };
        const run = await runRecorded(tinyGptRecipe(dir, { model, trainIters: 12 }), {
          onTrainerReady: async (trainer) => assert.deepEqual([(trainer as unknown as { gpt: GptModel }).gpt.options.headDim, (trainer as unknown as { gpt: GptModel }).gpt.options.qkNorm], [6, true]),
        });
        const losses = [...run.losses.values()];
        assert.ok(Math.max(...losses.slice(-2)) < losses[0], `the loss falls: ${losses.join(', ')}`);
      } finally {
        await cleanup();
      }
    });
  });
});
