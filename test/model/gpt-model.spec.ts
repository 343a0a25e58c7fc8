import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { ConfigError } from '../../src/errors';
import { GptModel, GptOptions, ModelError } from '../../src/model';
import { Rng } from '../../src/random';
import { assertClose, expectNoLeak, maxAbsDiff } from '../support/tensors';
import { logitsOf, randomizeParams, readWeights, tinyModel } from './helpers';
import { referenceForward } from './reference-gpt';

const GPT2: Partial<GptOptions> = { norm: 'layernorm', position: 'learned', activation: 'gelu', bias: true, tieEmbeddings: false };
const LLAMA: Partial<GptOptions> = { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false };
const TIED_ROPE_GELU: Partial<GptOptions> = { norm: 'layernorm', position: 'rope', activation: 'gelu', bias: true, tieEmbeddings: true };

describe('GptModel', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  describe('forward', () => {
    const cases: Array<[string, Partial<GptOptions>]> = [
      ['layernorm + learned + gelu (GPT-2)', GPT2],
      ['rmsnorm + rope + swiglu (Llama)', LLAMA],
      ['layernorm + rope + gelu, tied, 2 layers', { ...TIED_ROPE_GELU, layers: 2 }],
      ['Qwen2: rmsnorm + rope + swiglu, biases on attn.qkv only', { ...LLAMA, bias: 'qkv' }],
    ];
    for (const [label, options] of cases) {
      it(`matches a plain-JS reference for ${label}`, async () => {
        const model = tinyModel(options);
        try {
          randomizeParams(model, 11);
          const weights = await readWeights(model);
          const rows = [
            [3, 1, 4, 1, 5],
            [6, 0, 2, 6, 5],
          ];
          const got = await logitsOf(model, rows);
          const expected = rows.flatMap((ids) => referenceForward(model.options, weights, ids).flat());
          assert.ok(Math.max(...expected.map(Math.abs)) > 0.5, 'reference logits are not trivially small');
          assertClose(got, expected, 1e-5, label);
        } finally {
          model.dispose();
        }
      });
    }

    it('matches the reference at explicit (shifted) positions', async () => {
      for (const options of [GPT2, LLAMA]) {
        const model = tinyModel(options);
        try {
          randomizeParams(model, 12);
          const ids = [2, 5, 1];
          const positions = [4, 5, 6];
          const got = await logitsOf(model, [ids], { positions: [positions] });
          assertClose(got, referenceForward(model.options, await readWeights(model), ids, positions).flat(), 1e-5);
        } finally {
          model.dispose();
        }
      }
    });

    it('is causal: changing a later token leaves earlier logits unchanged', async () => {
      for (const options of [GPT2, LLAMA]) {
        const model = tinyModel(options);
        try {
          randomizeParams(model, 13);
          const v = model.options.vocabSize;
          const a = await logitsOf(model, [[1, 2, 3, 4, 5, 6]]);
          const b = await logitsOf(model, [[1, 2, 3, 0, 5, 6]]);
          assert.equal(maxAbsDiff(a.subarray(0, 3 * v), b.subarray(0, 3 * v)), 0);
          assert.ok(maxAbsDiff(a.subarray(3 * v, 4 * v), b.subarray(3 * v, 4 * v)) > 1e-3, 'changed token must change its own logits');
        } finally {
          model.dispose();
        }
      }
    });

    it('keeps packed documents apart: each segment equals the document run alone', async () => {
      for (const options of [GPT2, LLAMA]) {
        const model = tinyModel(options);
        try {
          randomizeParams(model, 14);
          const v = model.options.vocabSize;
          const docA = [1, 2, 3];
          const docB = [4, 5, 6, 0];
          const alone = [...(await logitsOf(model, [docA])), ...(await logitsOf(model, [docB]))];
          const packed = {
            ids: [
              [...docA, ...docB],
              [...docB, ...docA],
            ],
            segmentIds: [
              [0, 0, 0, 1, 1, 1, 1],
              [7, 7, 7, 7, 2, 2, 2],
            ],
            positions: [
              [0, 1, 2, 0, 1, 2, 3],
              [0, 1, 2, 3, 0, 1, 2],
            ],
          };
          const swapped = [...alone.slice(3 * v), ...alone.slice(0, 3 * v)];
          const expected = [...alone, ...swapped];
          const withPositions = await logitsOf(model, packed.ids, { segmentIds: packed.segmentIds, positions: packed.positions });
          assertClose(withPositions, expected, 1e-5, 'explicit positions');
          // Without positions, they restart per segment on their own.
          const derived = await logitsOf(model, packed.ids, { segmentIds: packed.segmentIds });
          assertClose(derived, expected, 1e-5, 'derived positions');
        } finally {
          model.dispose();
        }
      }
    });

    it('applies seeded dropout only in training', async () => {
      const model = tinyModel({ ...GPT2, dropout: 0.5 });
      const plain = tinyModel({ ...GPT2, dropout: 0 });
      try {
        const ids = tf.tensor2d([[1, 2, 3, 4]], undefined, 'int32');
        const read = async (m: GptModel, opts: Parameters<GptModel['forward']>[1]): Promise<Float32Array> => {
          const t = m.forward(ids, opts);
          const d = (await t.data()) as Float32Array;
          t.dispose();
          return d;
        };
        const evalOut = await read(model, {});
        assert.equal(maxAbsDiff(evalOut, await read(plain, { training: true })), 0);
        const a = await read(model, { training: true, dropoutSeed: 5 });
        const b = await read(model, { training: true, dropoutSeed: 5 });
        const c = await read(model, { training: true, dropoutSeed: 6 });
        assert.equal(maxAbsDiff(a, b), 0);
        assert.ok(maxAbsDiff(a, c) > 1e-4);
        assert.ok(maxAbsDiff(a, evalOut) > 1e-4);
        ids.dispose();
      } finally {
        model.dispose();
        plain.dispose();
      }
    });

    it('rejects bad inputs with a ModelError', () => {
      const model = tinyModel({ maxLength: 4 });
      try {
        tf.tidy(() => {
          assert.throws(() => model.forward(tf.tensor2d([[1, 2]], undefined, 'float32') as tf.Tensor2D), ModelError);
          assert.throws(() => model.forward(tf.zeros([1, 5], 'int32') as tf.Tensor2D), /maxLength 4/);
          assert.throws(() => model.forward(tf.zeros([1, 3], 'int32') as tf.Tensor2D, { segmentIds: tf.zeros([1, 2], 'int32') as tf.Tensor2D }), /segmentIds/);
        });
      } finally {
        model.dispose();
      }
    });
  });

  describe('parameters', () => {
    it('uses stable PyTorch-like names and [in, out] linear shapes', () => {
      const gpt = tinyModel({ ...GPT2, tieEmbeddings: true });
      const llama = tinyModel(LLAMA);
      try {
        assert.deepEqual(
          [...gpt.params].map(([n, v]) => `${n} ${v.shape.join('x')}`),
          [
            'embed.tokens.weight 7x8', 'embed.positions.weight 16x8',
            'blocks.0.norm1.weight 8', 'blocks.0.norm1.bias 8',
            'blocks.0.attn.qkv.weight 8x24', 'blocks.0.attn.qkv.bias 24',
            'blocks.0.attn.out.weight 8x8', 'blocks.0.attn.out.bias 8',
            'blocks.0.norm2.weight 8', 'blocks.0.norm2.bias 8',
            'blocks.0.mlp.up.weight 8x12', 'blocks.0.mlp.up.bias 12',
            'blocks.0.mlp.down.weight 12x8', 'blocks.0.mlp.down.bias 8',
            'norm.weight 8', 'norm.bias 8',
          ],
        );
        assert.deepEqual(
          [...llama.params.keys()],
          [
            'embed.tokens.weight', 'blocks.0.norm1.weight', 'blocks.0.attn.qkv.weight', 'blocks.0.attn.out.weight',
            'blocks.0.norm2.weight', 'blocks.0.mlp.up.weight', 'blocks.0.mlp.gate.weight', 'blocks.0.mlp.down.weight',
            'norm.weight', 'lm_head.weight',
          ],
        );
        assert.equal(llama.params.get('lm_head.weight')?.shape.join('x'), '8x7');
        assert.equal(gpt.parameterCount(), 56 + 128 + 16 + 192 + 24 + 64 + 8 + 16 + 96 + 12 + 96 + 8 + 16);
        const summary = gpt.summary();
        assert.match(summary, /blocks\.0\.attn\.qkv\.weight\s+\[8, 24\]\s+192/);
        assert.match(summary, new RegExp(`Total parameters: ${gpt.parameterCount()}`));
      } finally {
        gpt.dispose();
        llama.dispose();
      }
    });

    it('initialises identically from the same seed and differently from another', async () => {
      const a = tinyModel(LLAMA, 42);
      const b = tinyModel(LLAMA, 42);
      const c = tinyModel(LLAMA, 43);
      try {
        const [wa, wb, wc] = await Promise.all([readWeights(a), readWeights(b), readWeights(c)]);
        for (const [name, w] of wa) {
          assert.deepEqual(w.data, wb.get(name)?.data, name);
          if (name.endsWith('norm.weight') || name.endsWith('norm1.weight') || name.endsWith('norm2.weight')) {
            assert.ok(w.data.every((x) => x === 1), `${name} starts at 1`);
          } else {
            assert.notDeepEqual(w.data, wc.get(name)?.data, name);
          }
        }
        // Init statistics: N(0, 0.02²), residual projections scaled by 1/sqrt(2·layers).
        const big = new GptModel({ vocabSize: 500, maxLength: 8, layers: 2, heads: 2, dim: 32 }, new Rng(3));
        const std = async (name: string): Promise<number> => {
          const d = (await big.params.get(name)!.data()) as Float32Array;
          return Math.sqrt(d.reduce((s, x) => s + x * x, 0) / d.length);
        };
        assert.ok(Math.abs((await std('embed.tokens.weight')) - 0.02) < 0.001);
        assert.ok(Math.abs((await std('blocks.1.mlp.down.weight')) - 0.01) < 0.001);
        assert.equal(await std('blocks.0.attn.qkv.bias'), 0);
        big.dispose();
      } finally {
        a.dispose();
        b.dispose();
        c.dispose();
      }
    });

    it('rejects inconsistent options, listing every problem', () => {
      assert.throws(
        () => new GptModel({ vocabSize: 0, maxLength: 8, layers: 1, heads: 3, dim: 8, dropout: 1 }, new Rng(1)),
        (err: unknown) => err instanceof ConfigError && err.issues.map((i) => i.path).join(',') === 'vocabSize,dropout',
      );
      assert.throws(() => new GptModel({ vocabSize: 5, maxLength: 8, layers: 1, heads: 3, dim: 8 }, new Rng(1)), /heads: must divide dim/);
      assert.throws(() => new GptModel({ vocabSize: 5, maxLength: 8, layers: 1, heads: 8, dim: 8, position: 'rope' }, new Rng(1)), /even head size/);
    });

    it('gives the same gradients with explicit-transpose kernels as with plain autodiff', () => {
      for (const options of [{ ...GPT2, tieEmbeddings: true }, LLAMA]) {
        const fast = tinyModel({ ...options, explicitTranspose: true });
        const plain = tinyModel({ ...options, explicitTranspose: false });
        randomizeParams(fast, 15);
        randomizeParams(plain, 15);
        try {
          tf.tidy(() => {
            const ids = tf.tensor2d([[1, 2, 3, 4], [4, 3, 2, 1]], undefined, 'int32');
            const lossOf = (m: GptModel) => () => tf.sum(tf.mul(m.forward(ids), tf.linspace(-1, 1, 56).reshape([2, 4, 7]))) as tf.Scalar;
            const gf = tf.variableGrads(lossOf(fast), [...fast.params.values()]);
            const gp = tf.variableGrads(lossOf(plain), [...plain.params.values()]);
            assertClose(gf.value.dataSync(), gp.value.dataSync(), 1e-5, 'loss');
            const names = [...fast.params.keys()];
            const plainVars = [...plain.params.values()];
            [...fast.params.values()].forEach((v, i) => {
              const a = gf.grads[v.name].dataSync();
              assert.ok(a.some((x) => x !== 0), `${names[i]} has a gradient`);
              assertClose(a, gp.grads[plainVars[i].name].dataSync(), 1e-4, names[i]);
            });
          });
        } finally {
          fast.dispose();
          plain.dispose();
        }
      }
    });
  });

  describe('memory', () => {
    it('leaks no tensors for forward + loss inside tidy, with and without segments and gradients (grouped-query attention too)', async () => {
      const { crossEntropyLoss } = await import('../../src/model');
      for (const options of [GPT2, LLAMA, { ...TIED_ROPE_GELU, dropout: 0.1 }, { ...LLAMA, heads: 4, dim: 16, kvHeads: 2, dropout: 0.1 }]) {
        const model = tinyModel(options);
        try {
          const ids = tf.tensor2d([[1, 2, 3, 4]], undefined, 'int32');
          const segs = tf.tensor2d([[0, 0, 1, 1]], undefined, 'int32');
          const w = tf.ones([1, 4]) as tf.Tensor2D;
          await expectNoLeak(() => {
            tf.tidy(() => {
              crossEntropyLoss(model.forward(ids, { training: true }), ids, w);
              crossEntropyLoss(model.forward(ids, { segmentIds: segs }), ids, w);
            });
            const { value, grads } = tf.variableGrads(() => crossEntropyLoss(model.forward(ids, { segmentIds: segs, training: true }), ids, w));
            value.dispose();
            tf.dispose(grads);
          }, 'forward + loss');
          tf.dispose([ids, segs, w]);
        } finally {
          model.dispose();
        }
      }
    });
  });
});
