import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { validateRecipe } from '../../src';
import { frugalVariableGrads } from '../../src/autograd';
import { initBackend } from '../../src/backend';
import { ATTENTION_CORE } from '../../src/backend/native/fused/attention-core-kernels';
import { hasKernel } from '../../src/backend/native/fused/fused-kernels';
import { crossEntropyLoss, GptModel, GptOptions, isLoraParamName } from '../../src/model';
import { Rng } from '../../src/random';
import { fileBytes, runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { expectConfigError, useRecipeDir } from '../config/recipe-dir';
import { expectNoLeak } from '../support/tensors';

const LLAMA: Partial<GptOptions> = { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false };

/** Two models with the same weights and dropout streams, one checkpointing its blocks. */
function twins(options: GptOptions): [GptModel, GptModel] {
  return [new GptModel(options, new Rng(5)), new GptModel({ ...options, activationCheckpointing: true }, new Rng(5))];
}

/** A batch of token rows `[B, T]` and its next-token labels. */
function batch(options: GptOptions, b: number, t: number): { ids: tf.Tensor2D; labels: tf.Tensor2D; weights: tf.Tensor2D } {
  const rng = new Rng(11);
  const rows = Array.from({ length: b }, () => Array.from({ length: t + 1 }, () => Math.floor(rng.float() * options.vocabSize)));
  return {
    ids: tf.tensor2d(rows.map((r) => r.slice(0, t)), undefined, 'int32'),
    labels: tf.tensor2d(rows.map((r) => r.slice(1)), undefined, 'int32'),
    weights: tf.ones([b, t]) as tf.Tensor2D,
  };
}

/** The training loss and its gradients for the model's trainable parameters (LoRA factors only with lora), read back. */
function gradients(model: GptModel, data: ReturnType<typeof batch>, pass: 'frugal' | 'tfjs'): Map<string, Float32Array> {
  const params = [...model.params].filter(([name]) => model.lora === undefined || isLoraParamName(name));
  const vars = params.map(([, v]) => v);
  const nameOf = new Map(params.map(([name, v]) => [v.name, name]));
  const loss = (): tf.Scalar => crossEntropyLoss(model.forward(data.ids, { training: true, dropoutSeed: 42 }), data.labels, data.weights);
  const { value, grads } = pass === 'frugal' ? frugalVariableGrads(loss, vars) : tf.variableGrads(loss, vars);
  try {
    const out = new Map<string, Float32Array>([['loss', value.dataSync() as Float32Array]]);
    for (const [name, g] of Object.entries(grads)) out.set(nameOf.get(name) as string, g.dataSync() as Float32Array);
    return out;
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

function assertBitIdentical(actual: Map<string, Float32Array>, expected: Map<string, Float32Array>, label: string): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${label}: the same gradients`);
  for (const [name, e] of expected) {
    const a = actual.get(name) as Float32Array;
    const first = a.findIndex((v, i) => !Object.is(v, e[i]));
    assert.equal(first, -1, `${label}: ${name}[${first}] is ${a[first]} with checkpointing, ${e[first]} without`);
  }
}

/** Peak bytes tfjs holds while one frugal gradient pass runs (tf.profile), results freed. */
async function peakBytes(model: GptModel, data: ReturnType<typeof batch>): Promise<number> {
  const info = await tf.profile(() => void gradients(model, data, 'frugal'));
  return info.peakBytes;
}

describe('GptModel activationCheckpointing', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const base: GptOptions = { vocabSize: 13, maxLength: 16, layers: 2, heads: 4, dim: 16, ffnDim: 24, dropout: 0.1 };
  const variants: Array<[string, GptOptions]> = [
    ['GPT-2 style, dropout 0.1', base],
    ['Llama style, grouped-query attention (4 heads, 2 key/value)', { ...base, ...LLAMA, kvHeads: 2 }],
    ['LoRA with dropout on every dense layer, base frozen', { ...base, lora: { rank: 2, alpha: 4, dropout: 0.2, targets: ['*'] } }],
    // No attention dropout: with Floe's native kernels (wasm) attention runs fused, rope packed.
    ['Llama style, LoRA dropout only (fused attention on wasm)', { ...base, ...LLAMA, dropout: 0, lora: { rank: 2, alpha: 4, dropout: 0.2, targets: ['*'] } }],
    ['Qwen3 style: qkNorm, headDim 6 (not dim / heads), grouped-query', { ...base, ...LLAMA, headDim: 6, qkNorm: true, kvHeads: 2 }],
    ['Qwen3 style, LoRA, no dropout (qkNorm in the fused attention on wasm)', { ...base, ...LLAMA, dropout: 0, headDim: 6, qkNorm: true, lora: { rank: 2, alpha: 4, targets: ['*'] } }],
    [
      'Gemma 3 style: geglu, 1 + w norms, sandwich norms, √dim embeddings, attnScale, local/global RoPE bases',
      { ...base, ...LLAMA, activation: 'geglu', headDim: 6, qkNorm: true, kvHeads: 1, normOffset: 1, sandwichNorm: true, embedScale: 4, attnScale: 0.3, slidingWindow: 16, slidingWindowPattern: 2, ropeLocalTheta: 100 },
    ],
  ];
  for (const [label, options] of variants) for (const backend of ['cpu', 'wasm'] as const) {
    it(`gives the gradients of the plain forward bit for bit, leaking nothing (${label}, ${backend})`, async () => {
      if (backend === 'wasm') await initBackend({ name: 'wasm' });
      if (backend === 'wasm' && options.dropout === 0) console.log(`      fused attention kernel on wasm: ${hasKernel(ATTENTION_CORE)}`);
      const [plain, checkpointed] = twins(options);
      const data = batch(options, 2, 8);
      try {
        // LoRA's B starts at zero: move it so the adapters' dropout shows in the gradients.
        for (const model of [plain, checkpointed]) for (const [name, v] of model.params) if (name.endsWith('.lora_b')) v.assign(tf.fill(v.shape, 0.3));
        const expected = gradients(plain, data, 'frugal');
        assert.ok(expected.size > 1);
        if (options.qkNorm === true && options.lora === undefined) assert.ok(expected.get('blocks.1.attn.kNorm.weight')?.some((g) => g !== 0), 'kNorm gets a gradient');
        const actual = await expectNoLeak(() => gradients(checkpointed, data, 'frugal'), 'a checkpointed gradient pass');
        assertBitIdentical(actual, expected, `${label}, frugal pass`);
        // tfjs's own pass (optimizer.minimize) asks for every input's gradient: the same bits.
        assertBitIdentical(await expectNoLeak(() => gradients(checkpointed, data, 'tfjs'), 'tf.variableGrads'), gradients(plain, data, 'tfjs'), `${label}, tf.variableGrads`);
        // Without a tape (inference) the blocks run as they are.
        const logits = tf.tidy(() => tf.sub(plain.forward(data.ids), checkpointed.forward(data.ids)).abs().max());
        assert.equal(logits.dataSync()[0], 0);
        logits.dispose();
      } finally {
        plain.dispose();
        checkpointed.dispose();
        tf.dispose([data.ids, data.labels, data.weights]);
        await tf.setBackend('cpu');
      }
    });
  }

  it('holds far less at the peak of a gradient pass (6 layers, T = 64)', async () => {
    const options: GptOptions = { vocabSize: 13, maxLength: 64, layers: 6, heads: 4, dim: 32, dropout: 0.1 };
    const [plain, checkpointed] = twins(options);
    const data = batch(options, 4, 64);
    try {
      const plainPeak = await peakBytes(plain, data);
      const checkpointedPeak = await peakBytes(checkpointed, data);
      assert.ok(checkpointedPeak < 0.5 * plainPeak, `checkpointed peak ${checkpointedPeak} vs plain ${plainPeak}`);
    } finally {
      plain.dispose();
      checkpointed.dispose();
      tf.dispose([data.ids, data.labels, data.weights]);
    }
  });

  it('rejects a non-boolean activationCheckpointing, naming the option', () => {
    assert.throws(() => new GptModel({ ...base, activationCheckpointing: 'yes' as unknown as boolean }, new Rng(1)), /activationCheckpointing: must be true or false, got "yes"/);
  });

  describe('in a recipe', () => {
    const recipes = useRecipeDir();

    it('takes true or false at model.activationCheckpointing, reporting another value with file:line:col', async () => {
      const r = recipes();
      const file = r.write('recipe.yaml', ['type: causal', 'data: { sources: [{ type: synthetic }] }', 'model:', '  type: gpt', '  activationCheckpointing: sometimes', ''].join('\n'));
      const error = await expectConfigError(validateRecipe(file));
      assert.deepEqual(error.issues.map((i) => i.path), ['model.activationCheckpointing']);
      assert.match(error.message, new RegExp(`model\\.activationCheckpointing: .*boolean.*\\(${r.at('recipe.yaml', 5, 28).replace(/[.\\]/g, '\\$&')}\\)`));
      await validateRecipe(file, { overrides: ['model.activationCheckpointing=true'] });
    });
  });

  describe('in a training run', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-ckpt-act-')));
    afterEach(() => cleanup());

    const models: Array<[string, Record<string, unknown>]> = [
      ['2 layers, dropout 0.1', { type: 'gpt', layers: 2, heads: 2, dim: 16, maxLength: 16, dropout: 0.1 }],
      ['LoRA with dropout', { type: 'gpt', layers: 2, heads: 2, dim: 16, maxLength: 16, dropout: 0.1, lora: { rank: 2, dropout: 0.1, targets: ['*.attn.*', '*.mlp.up'] } }],
    ];
    for (const [label, model] of models) {
      it(`takes the same steps: the same losses and weights (${label})`, async () => {
        const run = (name: string, checkpointing: boolean): ReturnType<typeof runRecorded> =>
          runRecorded(tinyGptRecipe(path.join(dir, name), { trainIters: 4, model: { ...model, activationCheckpointing: checkpointing }, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }] }));
        const plain = await run('plain', false);
        const checkpointed = await run('checkpointed', true);
        assert.equal(checkpointed.losses.size, 4);
        assert.deepEqual([...checkpointed.losses], [...plain.losses]);
        const weights = (name: string): Buffer => fileBytes(path.join(dir, name, 'checkpoints', 'step-000004'), 'model.safetensors');
        assert.ok(weights('checkpointed').equals(weights('plain')), 'the weights after 4 steps differ');
      });
    }
  });
});
