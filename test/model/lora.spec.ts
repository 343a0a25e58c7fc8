import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { ConfigError } from '../../src/errors';
import { completeBatch, crossEntropyLoss, GptModel, GptOptions, KvCache, mergeLora } from '../../src/model';
import { assertClose, expectNoLeak } from '../support/tensors';
import { logitsOf, randomizeParams, tinyModel } from './helpers';

const LLAMA: Partial<GptOptions> = { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false };
const ROWS = [
  [1, 2, 3, 4, 5, 6],
  [6, 5, 4, 3, 2, 1],
];

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Gives every lora_b random values, so the adapters change the outputs. */
function randomizeLoraB(model: GptModel, seed: number): void {
  const b = new Map([...model.params].filter(([name]) => name.endsWith('.lora_b')));
  for (const [i, v] of [...b.values()].entries()) tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', seed + i)));
}

describe('GptModel with LoRA', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('adds p.lora_a [in, rank] (uniform ±1/√in) and p.lora_b [rank, out] (zeros) after the base weights, for the targeted layers only', async () => {
    const model = tinyModel({ ...LLAMA, lora: { rank: 3, targets: ['*.attn.qkv', '*.mlp.*', 'lm_head'] } });
    try {
      const lora = [...model.params.keys()].filter((n) => n.includes('.lora_'));
      assert.deepEqual(lora, ['blocks.0.attn.qkv.lora_a', 'blocks.0.attn.qkv.lora_b', 'blocks.0.mlp.up.lora_a', 'blocks.0.mlp.up.lora_b', 'blocks.0.mlp.gate.lora_a', 'blocks.0.mlp.gate.lora_b', 'blocks.0.mlp.down.lora_a', 'blocks.0.mlp.down.lora_b', 'lm_head.lora_a', 'lm_head.lora_b']);
      assert.deepEqual([...model.params.keys()].slice(-lora.length), lora, 'after every base weight');
      assert.deepEqual(model.params.get('blocks.0.mlp.down.lora_a')?.shape, [12, 3]);
      assert.deepEqual(model.params.get('blocks.0.mlp.down.lora_b')?.shape, [3, 8]);
      const a = (await model.params.get('blocks.0.mlp.down.lora_a')!.data()) as Float32Array;
      assert.ok(a.every((x) => Math.abs(x) <= 1 / Math.sqrt(12)) && a.some((x) => x !== 0));
      assert.ok(((await model.params.get('lm_head.lora_b')!.data()) as Float32Array).every((x) => x === 0));
      assert.deepEqual(model.options.lora, { rank: 3, alpha: 3, targets: ['*.attn.qkv', '*.mlp.*', 'lm_head'], dropout: 0 });
      assert.deepEqual(model.adapter?.paramNames, lora);
    } finally {
      model.dispose();
    }
  });

  it('computes exactly the base model at init (same seed: same base weights, bit-identical logits)', async () => {
    for (const options of [{ layers: 2 }, { layers: 2, ...LLAMA }]) {
      const base = tinyModel(options);
      const lora = tinyModel({ ...options, lora: { rank: 2, alpha: 8, targets: ['*.attn.*', '*.mlp.*'] } });
      try {
        for (const [name, v] of base.params) assert.ok(sameBits((await v.data()) as Float32Array, (await lora.params.get(name)!.data()) as Float32Array), name);
        assert.ok(sameBits(await logitsOf(base, ROWS), await logitsOf(lora, ROWS)));
        assert.equal(base.options.lora, undefined);
        assert.ok(!('lora' in base.options), 'a plain model has no lora key (model-config.json unchanged)');
      } finally {
        base.dispose();
        lora.dispose();
      }
    }
  });

  it('merges into a plain GPT computing the same logits; the KV cache gives the full forward', async () => {
    const model = tinyModel({ layers: 2, ...LLAMA, lora: { rank: 2, alpha: 4, targets: ['*.attn.*', '*.mlp.down'] } });
    try {
      randomizeParams(model, 5, 0.3);
      randomizeLoraB(model, 9);
      const withLora = await logitsOf(model, ROWS);
      await expectNoLeak(() => mergeLora(model).dispose(), 'merge');
      const plain = mergeLora(model);
      try {
        assert.ok(!('lora' in plain.options) && plain.lora === undefined);
        assert.deepEqual([...plain.params.keys()], [...model.params.keys()].filter((n) => !n.includes('.lora_')));
        const out = await logitsOf(plain, ROWS);
        assertClose(out, withLora, 1e-4, 'merged vs adapters');
        const bare = tinyModel({ layers: 2, ...LLAMA });
        randomizeParams(bare, 5, 0.3);
        const without = await logitsOf(bare, ROWS);
        bare.dispose();
        assert.ok(Math.abs(without[0] - withLora[0]) > 1e-3, 'the adapters change the logits');
      } finally {
        plain.dispose();
      }
      const prompts = [[1, 2, 3], [4, 5], [6]];
      const complete = (m: GptModel, cache: boolean): Promise<number[][]> => completeBatch(m, prompts, { maxNewTokens: 4, stopTokenId: 0, padId: 0, kvCache: cache });
      const reference = mergeLora(model);
      try {
        const merged = await complete(reference, false);
        assert.deepEqual(await expectNoLeak(() => complete(model, true), 'completeBatch'), merged, 'completeBatch (KV cache) with adapters = merged model');
      } finally {
        reference.dispose();
      }
      const cache = new KvCache();
      try {
        const pieces: Float32Array[] = [];
        for (const [at, n] of [
          [0, 4],
          [4, 2],
        ]) {
          const t = tf.tidy(() => model.forward(tf.tensor2d(ROWS.map((r) => r.slice(at, at + n)), undefined, 'int32'), { cache }));
          pieces.push((await t.data()) as Float32Array);
          t.dispose();
        }
        const v = model.options.vocabSize;
        const lastCached = pieces[1].subarray(v, 2 * v);
        assertClose(lastCached, withLora.subarray(5 * v, 6 * v), 1e-5, 'cached last token, row 0');
      } finally {
        cache.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('at scale 1 (alpha = rank, the default) adds no multiply to the forward: as many Mul kernels as the plain model', async () => {
    const muls = async (model: GptModel): Promise<number> => {
      const { kernelNames, kernels } = await tf.profile(() => void logitsOf(model, ROWS));
      assert.ok(kernelNames.length > 0);
      return kernels.filter((k) => k.name === 'Multiply').length;
    };
    const base = tinyModel({ layers: 2 });
    const unscaled = tinyModel({ layers: 2, lora: { rank: 2, targets: ['*.attn.*', '*.mlp.*'] } });
    const scaled = tinyModel({ layers: 2, lora: { rank: 2, alpha: 4, targets: ['*.attn.*', '*.mlp.*'] } });
    try {
      const plain = await muls(base);
      assert.equal(await muls(unscaled), plain, 'scale 1');
      assert.equal(await muls(scaled), plain + 8, 'scale 2: one multiply per adapted layer (2 blocks x 4 dense layers)');
    } finally {
      base.dispose();
      unscaled.dispose();
      scaled.dispose();
    }
  });

  it('differentiates through the factors without leaking tensors; lora dropout applies only in training, seeded', async () => {
    const model = tinyModel({ lora: { rank: 2, dropout: 0.5 } });
    try {
      randomizeLoraB(model, 3);
      const trainable = [...model.params].filter(([n]) => n.includes('.lora_')).map(([, v]) => v);
      const ids = tf.tensor2d(ROWS, undefined, 'int32');
      const labels = tf.tensor2d(ROWS.map((r) => [...r.slice(1), 0]), undefined, 'int32');
      const weights = tf.ones([2, 6]) as tf.Tensor2D;
      await expectNoLeak(() => {
        const { grads, value } = tf.variableGrads(() => crossEntropyLoss(model.forward(ids, { training: true, dropoutSeed: 1 }), labels, weights), trainable);
        assert.equal(Object.keys(grads).length, 4);
        tf.dispose([value, ...Object.values(grads)]);
      }, 'lora gradients');
      const run = (training: boolean, seed: number): Float32Array => tf.tidy(() => model.forward(ids, { training, dropoutSeed: seed }).dataSync() as Float32Array);
      assert.ok(sameBits(run(true, 1), run(true, 1)), 'seeded');
      assert.ok(!sameBits(run(true, 1), run(true, 2)), 'lora dropout applies in training');
      assert.ok(sameBits(run(false, 1), run(false, 2)), 'and not in inference');
      tf.dispose([ids, labels, weights]);
    } finally {
      model.dispose();
    }
  });

  it('gives the same gradients with explicit-transpose kernels as with plain autodiff', () => {
    const grads = (explicitTranspose: boolean): Float32Array[] => {
      const model = tinyModel({ explicitTranspose, lora: { rank: 2, alpha: 3, targets: ['*'] } });
      try {
        randomizeLoraB(model, 4);
        const trainable = [...model.params].filter(([n]) => n.includes('.lora_')).map(([, v]) => v);
        return tf.tidy(() => {
          const ids = tf.tensor2d(ROWS, undefined, 'int32');
          const labels = tf.tensor2d(ROWS.map((r) => [...r.slice(1), 0]), undefined, 'int32');
          const { grads: g } = tf.variableGrads(() => crossEntropyLoss(model.forward(ids), labels, tf.ones([2, 6]) as tf.Tensor2D), trainable);
          return Object.values(g).map((t) => t.dataSync() as Float32Array);
        });
      } finally {
        model.dispose();
      }
    };
    const plain = grads(false);
    const explicit = grads(true);
    assert.equal(plain.length, 8);
    plain.forEach((g, i) => assertClose(explicit[i], g, 1e-5, `gradient ${i}`));
    assert.ok(plain.every((g) => g.some((x) => x !== 0)), 'every factor gets a gradient');
  });

  it('refuses a target matching no dense layer (listing them) and a bad rank, alpha or dropout', () => {
    const tensors = tf.memory().numTensors;
    assert.throws(
      () => tinyModel({ lora: { rank: 2, targets: ['*.attn.qkv', '*.mlp.gate'] } }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /lora\.targets\[1\]: '\*\.mlp\.gate' matches no dense layer of the model/);
        assert.match(error.message, /the dense layers are: blocks\.0\.attn\.qkv, blocks\.0\.attn\.out, blocks\.0\.mlp\.up, blocks\.0\.mlp\.down\./);
        return true;
      },
    );
    assert.throws(() => tinyModel({ lora: { rank: 0, alpha: -1, dropout: 1 } }), /lora\.rank: must not be less than 1, got 0[\s\S]*lora\.alpha: must be a positive number, got -1[\s\S]*lora\.dropout: must not be greater than 0\.9, got 1/);
    assert.equal(tf.memory().numTensors, tensors);
  });
});
