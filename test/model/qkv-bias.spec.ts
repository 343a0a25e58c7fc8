import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { validateRecipe } from '../../src';
import { GptModel, gptParamSpecs, mergeLora, resolveGptOptions } from '../../src/model';
import { Rng } from '../../src/random';
import { maxAbsDiff } from '../support/tensors';
import { randomizeParams } from './helpers';
import { expectConfigError, useRecipeDir } from '../config/recipe-dir';
describe("bias: 'qkv' (Qwen2)", () => {
  const recipes = useRecipeDir();

  it('gives attn.qkv a bias and no other linear layer; any other value is refused listing the choices', () => {
    const names = gptParamSpecs(resolveGptOptions({ vocabSize: 7, maxLength: 8, layers: 2, heads: 2, dim: 8, bias: 'qkv', tieEmbeddings: false, norm: 'rmsnorm', activation: 'swiglu' }))
      .map((s) => s.name)
      .filter((n) => n.endsWith('.bias'));
    assert.deepEqual(names, ['blocks.0.attn.qkv.bias', 'blocks.1.attn.qkv.bias']);
    assert.throws(() => resolveGptOptions({ vocabSize: 7, maxLength: 8, layers: 1, heads: 2, dim: 8, bias: 'all' as 'qkv' }), /bias: unknown value "all". Supported: true, false, 'qkv'/);
  });

  it('takes LoRA on the biased attn.qkv: merging the adapters keeps the bias and the logits', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const options = { vocabSize: 9, maxLength: 8, layers: 1, heads: 2, dim: 8, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: 'qkv', tieEmbeddings: false } as const;
    const model = new GptModel({ ...options, lora: { rank: 2, targets: ['*.attn.qkv', '*.attn.out'] } }, new Rng(3));
    randomizeParams(model, 4);
    const merged = mergeLora(model);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5]], undefined, 'int32');
    const [a, b] = [model.forward(ids), merged.forward(ids)];
    try {
      assert.deepEqual([...merged.params.keys()].filter((n) => n.endsWith('.bias')), ['blocks.0.attn.qkv.bias']);
      assert.ok(maxAbsDiff(await a.data(), await b.data()) < 1e-5);
    } finally {
      tf.dispose([ids, a, b]);
      model.dispose();
      merged.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('is a recipe value (bias: qkv); another is refused at model.bias, located, listing the choices', async () => {
    const r = recipes();
    const lines = ['type: causal', 'data: { sources: [{ type: synthetic }] }', 'model:', '  type: gpt', '  dim: 16', '  position: rope', '  bias: qkv', ''];
    const file = r.write('recipe.yaml', lines.join('\n'));
    await validateRecipe(file);
    const error = await expectConfigError(validateRecipe(file, { overrides: ['model.bias=all'] }));
    assert.deepEqual(error.issues.map((i) => i.path), ['model.bias']);
    assert.match(error.message, /model\.bias: must be one of the following values: true, false, qkv/);
  });
});
