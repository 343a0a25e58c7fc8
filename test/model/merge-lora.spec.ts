import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { GptModel, GptOptions, mergeLora } from '../../src/model';
import { Rng } from '../../src/random';
import { countNormalDraws } from '../support/normal-draws';
import { expectNoLeak } from '../support/tensors';
import { randomizeParams } from './helpers';

// Wider than tinyModel: the untouched weights (embeddings, MLP) dwarf the adapted qkv projections.
const OPTIONS: GptOptions = { vocabSize: 64, maxLength: 32, layers: 2, heads: 2, dim: 16, ffnDim: 64, tieEmbeddings: false, lora: { rank: 2, alpha: 6, targets: ['*.attn.qkv', 'lm_head'] } };
const F32_EPS = 2 ** -23;

function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A LoRA model whose factors (lora_b too) and base weights are all random, so the merge moves every adapted weight. */
function trainedLoraModel(): GptModel {
  const model = new GptModel(OPTIONS, new Rng(3));
  randomizeParams(model, 11, 0.4);
  return model;
}

/** mergeLora as it was: a randomly initialised plain model, every weight then overwritten. */
function previousMerge(model: GptModel): GptModel {
  const lora = model.lora!;
  const { lora: _adapters, ...options } = model.options;
  const merged = new GptModel(options, new Rng(0));
  const adapted = new Set(lora.layers.map((name) => `${name}.weight`));
  for (const [name, target] of merged.params) {
    const source = model.params.get(name) as tf.Tensor as tf.Tensor2D;
    tf.tidy(() => target.assign(adapted.has(name) ? lora.merged(name.slice(0, -'.weight'.length), source) : source));
  }
  return merged;
}

describe('mergeLora', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('writes W + (alpha/rank)·A·B for each adapted weight (float64 by hand, within float32 rounding), bit-identical to overwriting a random init, and copies every other weight', async () => {
    const model = trainedLoraModel();
    const merged = mergeLora(model);
    const previous = previousMerge(model);
    try {
      assert.deepEqual([...merged.params.keys()], [...model.params.keys()].filter((n) => !n.includes('.lora_')));
      assert.deepEqual(merged.options, previous.options);
      const read = async (m: GptModel, name: string): Promise<Float32Array> => (await m.params.get(name)!.data()) as Float32Array;
      for (const name of merged.params.keys()) {
        const out = await read(merged, name);
        assert.ok(bits(out).equals(bits(await read(previous, name))), `${name}: bit-identical to the previous merge`);
        const layer = name.slice(0, -'.weight'.length);
        if (!['blocks.0.attn.qkv', 'blocks.1.attn.qkv', 'lm_head'].includes(layer) || !name.endsWith('.weight')) {
          assert.ok(bits(out).equals(bits(await read(model, name))), `${name}: copied`);
          continue;
        }
        const [w, a, b] = [await read(model, name), await read(model, `${layer}.lora_a`), await read(model, `${layer}.lora_b`)];
        const [inDim, outDim] = merged.params.get(name)!.shape;
        const scale = 6 / 2;
        let moved = 0;
        for (let i = 0; i < inDim; i++) {
          for (let j = 0; j < outDim; j++) {
            let sum = 0;
            let size = 0;
            for (let k = 0; k < 2; k++) {
              sum += a[i * 2 + k] * b[k * outDim + j];
              size += Math.abs(a[i * 2 + k] * b[k * outDim + j]);
            }
            const expected = w[i * outDim + j] + scale * sum;
            const tolerance = 4 * F32_EPS * (Math.abs(w[i * outDim + j]) + scale * size);
            assert.ok(Math.abs(out[i * outDim + j] - expected) <= tolerance, `${name}[${i}, ${j}]: ${out[i * outDim + j]} vs ${expected}`);
            if (out[i * outDim + j] !== w[i * outDim + j]) moved += 1;
          }
        }
        assert.ok(moved > (inDim * outDim) / 2, `${name}: the update is merged in`);
      }
    } finally {
      tf.dispose([model, merged, previous].flatMap((m) => [...m.params.values()]));
    }
  });

  it('draws no random init and allocates only the merged sums (12 buffers here, the previous merge 42); leaks nothing', async () => {
    const model = trainedLoraModel();
    // Every tensor buffer the cpu backend allocates (a weight's init values, a kernel's output) goes through write().
    const backend = tf.backend() as unknown as { write: (...args: unknown[]) => unknown };
    const write = backend.write;
    let buffers = 0;
    backend.write = function (this: unknown, ...args: unknown[]): unknown {
      buffers += 1;
      return write.apply(this, args);
    };
    try {
      const { result: merged, draws } = await countNormalDraws(() => mergeLora(model));
      merged.dispose();
      assert.equal(draws, 0, 'the previous merge drew a normal init value for every base weight element');
      // Per adapted layer (2 qkv, lm_head): A·B, the scalar alpha/rank, the scaled product, W + it. The previous merge also wrote 30 random inits.
      assert.equal(buffers, 3 * 4, 'copied weights share their data; nothing else is allocated');
      await expectNoLeak(() => mergeLora(model).dispose(), 'mergeLora');
    } finally {
      backend.write = write;
      model.dispose();
    }
  });
});

describe('GptModel built from initial weights', () => {
  it('refuses weights that miss a parameter, have another shape or name none, and a model with lora; creates no variable then', () => {
    const source = new GptModel({ vocabSize: 7, maxLength: 8, layers: 1, heads: 2, dim: 8 }, new Rng(1));
    try {
      const tensors = tf.memory().numTensors;
      const weights = new Map<string, tf.Tensor>(source.params);
      weights.delete('norm.bias');
      weights.set('blocks.0.attn.out.weight', source.params.get('blocks.0.attn.qkv.weight')!);
      weights.set('blocks.0.attn.v.weight', source.params.get('norm.weight')!);
      assert.throws(
        () => new GptModel(source.options, { weights }),
        /GptModel weights do not fit the options: 'blocks\.0\.attn\.out\.weight' is float32 \[8, 24\], the model needs float32 \[8, 8\]; 'norm\.bias' is missing; 'blocks\.0\.attn\.v\.weight' is not a parameter of the model\. The parameters are: embed\.tokens\.weight, /,
      );
      assert.throws(() => new GptModel({ ...source.options, lora: { rank: 2 } }, { weights: source.params }), /initial weights with lora need \{ weights, rng \}: the LoRA factors start from the seed stream/);
      assert.equal(tf.memory().numTensors, tensors);
    } finally {
      source.dispose();
    }
  });
});
