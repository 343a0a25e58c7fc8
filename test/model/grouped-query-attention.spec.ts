import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { ConfigError } from '../../src/errors';
import { GptModel, GptOptions, KvCache, mergeLora } from '../../src/model';
import { Rng } from '../../src/random';
import { assertClose, expectNoLeak } from '../support/tensors';
import { logitsOf, randomizeParams, readWeights } from './helpers';
import { referenceForward } from './reference-gpt';

const GPT2: Partial<GptOptions> = { norm: 'layernorm', position: 'learned', activation: 'gelu', bias: true, tieEmbeddings: false };
const LLAMA: Partial<GptOptions> = { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false };
const ROWS = [
  [3, 1, 4, 1, 5, 9],
  [2, 6, 5, 3, 5, 8],
];

/** 4 heads of 4 channels, 2 layers; `kvHeads` as given (undefined: unset). */
function model(kvHeads: number | undefined, options: Partial<GptOptions> = {}, seed = 1): GptModel {
  return new GptModel({ vocabSize: 11, maxLength: 16, layers: 2, heads: 4, dim: 16, ffnDim: 24, ...options, kvHeads }, new Rng(seed));
}

function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Column `j` of a multi-head model's packed qkv `[q | k | v]` (3·D wide) taken from the grouped
 * model's `[q | k | v]` (D + 2·kvHeads·hd wide): q as is, k and v head h from key/value head ⌊h / g⌋.
 */
function tiledColumns(o: { dim: number; heads: number; kvHeads: number }): number[] {
  const hd = o.dim / o.heads;
  const group = o.heads / o.kvHeads;
  return Array.from({ length: 3 * o.dim }, (_, j) => {
    const part = Math.floor(j / o.dim);
    if (part === 0) return j;
    const h = Math.floor((j % o.dim) / hd);
    return o.dim + (part - 1) * o.kvHeads * hd + Math.floor(h / group) * hd + (j % hd);
  });
}

/** The multi-head model equivalent to `gqa`: its K/V weights tiled to every query head. */
function tiledMha(gqa: GptModel): GptModel {
  const o = gqa.options;
  const mha = model(o.heads, { ...o, kvHeads: undefined }, 99);
  const columns = tiledColumns(o);
  tf.tidy(() => {
    const index = tf.tensor1d(columns, 'int32');
    for (const [name, variable] of mha.params) {
      const source = gqa.params.get(name) as tf.Variable;
      if (name.endsWith('attn.qkv.weight')) variable.assign(tf.gather(source, index, 1));
      else if (name.endsWith('attn.qkv.bias')) variable.assign(tf.gather(source, index, 0));
      else variable.assign(source);
    }
  });
  return mha;
}

describe('GptModel with grouped-query attention (kvHeads)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('with kvHeads = heads (or unset) has the multi-head parameters and bit-identical logits', async () => {
    for (const options of [GPT2, LLAMA]) {
      const unset = model(undefined, options, 5);
      const same = model(4, options, 5);
      try {
        assert.equal(unset.options.kvHeads, 4);
        const shapes = (m: GptModel): string[] => [...m.params].map(([n, v]) => `${n} ${v.shape.join('x')}`);
        assert.deepEqual(shapes(same), shapes(unset));
        assert.deepEqual(unset.params.get('blocks.0.attn.qkv.weight')?.shape, [16, 48]);
        const [wu, ws] = [await readWeights(unset), await readWeights(same)];
        for (const [name, w] of wu) assert.ok(bits(w.data).equals(bits(ws.get(name)!.data)), name);
        assert.ok(bits(await logitsOf(same, ROWS)).equals(bits(await logitsOf(unset, ROWS))), `${options.norm} logits`);
      } finally {
        unset.dispose();
        same.dispose();
      }
    }
  });

  for (const kvHeads of [1, 2]) {
    it(`with kvHeads ${kvHeads} of 4 heads: qkv [D, D + 2·kvHeads·hd] and logits of a float64 reference attention`, async () => {
      for (const options of [GPT2, LLAMA]) {
        const m = model(kvHeads, options);
        try {
          assert.deepEqual(m.params.get('blocks.1.attn.qkv.weight')?.shape, [16, 16 + 2 * kvHeads * 4]);
          if (options.bias === true) assert.deepEqual(m.params.get('blocks.1.attn.qkv.bias')?.shape, [16 + 2 * kvHeads * 4]);
          assert.match(m.summary(), new RegExp(`4 heads \\(${kvHeads} key/value\\)`));
          randomizeParams(m, 11, 0.3);
          const weights = await readWeights(m);
          const expected = ROWS.flatMap((ids) => referenceForward(m.options, weights, ids).flat());
          assert.ok(Math.max(...expected.map(Math.abs)) > 0.5, 'reference logits are not trivially small');
          assertClose(await logitsOf(m, ROWS), expected, 1e-4, `${options.norm} kvHeads ${kvHeads}`);
          // Shifted positions (rope rotates the shared keys by their own positions).
          const positions = [5, 6, 7, 8, 9, 10];
          assertClose(await logitsOf(m, [ROWS[0]], { positions: [positions] }), referenceForward(m.options, weights, ROWS[0], positions).flat(), 1e-4, 'shifted');
        } finally {
          m.dispose();
        }
      }
    });
  }

  it('equals a multi-head model with the K/V weights tiled; its K/V gradients summed per group are the grouped ones', async () => {
    for (const options of [GPT2, LLAMA]) {
      const gqa = model(2, options);
      randomizeParams(gqa, 12, 0.3);
      const mha = tiledMha(gqa);
      try {
        assertClose(await logitsOf(mha, ROWS), await logitsOf(gqa, ROWS), 1e-5, 'logits');
        await expectNoLeak(() =>
          tf.tidy(() => {
            const ids = tf.tensor2d(ROWS, undefined, 'int32');
            const probe = tf.randomNormal([2, 6, 11], 0, 1, 'float32', 3);
            const gradsOf = (m: GptModel): Map<string, tf.Tensor> => {
              const { grads } = tf.variableGrads(() => tf.sum(tf.mul(m.forward(ids, { training: true }), probe)) as tf.Scalar, [...m.params.values()]);
              return new Map([...m.params].map(([name, v]) => [name, grads[v.name]]));
            };
            const [g, gm] = [gradsOf(gqa), gradsOf(mha)];
            const columns = tf.tensor1d(tiledColumns(gqa.options), 'int32');
            const qkvWidth = 16 + 2 * 2 * 4;
            for (const [name, grad] of g) {
              let expected = gm.get(name) as tf.Tensor;
              // Each grouped K/V column's gradient is the sum over the MHA columns tiled from it.
              if (name.endsWith('attn.qkv.weight')) expected = tf.transpose(tf.unsortedSegmentSum(tf.transpose(expected), columns, qkvWidth));
              if (name.endsWith('attn.qkv.bias')) expected = tf.unsortedSegmentSum(expected, columns, qkvWidth);
              const values = grad.dataSync();
              assert.ok(values.some((x) => x !== 0), `${name} has a gradient`);
              assertClose(values, expected.dataSync(), 1e-4, `${options.norm} ${name}`);
            }
          }),
        'forward + backward');
      } finally {
        gqa.dispose();
        mha.dispose();
      }
    }
  });

  it('caches kvHeads heads per layer and gives the full forward when fed in pieces, without leaking', async () => {
    const m = model(1, LLAMA);
    randomizeParams(m, 13, 0.3);
    const cache = new KvCache();
    try {
      const full = await logitsOf(m, ROWS);
      const v = m.options.vocabSize;
      const pieces: number[][] = [[], []];
      const before = tf.memory();
      for (const [at, n] of [
        [0, 4],
        [4, 1],
        [5, 1],
      ]) {
        const logits = tf.tidy(() => m.forward(tf.tensor2d(ROWS.map((r) => r.slice(at, at + n)), undefined, 'int32'), { cache }));
        const values = (await logits.data()) as Float32Array;
        logits.dispose();
        ROWS.forEach((_, b) => pieces[b].push(...values.subarray(b * n * v, (b + 1) * n * v)));
      }
      // All that is left is the cache: keys and values [B, kvHeads = 1, T = 6, hd = 4] float32
      // per layer (2 layers), a quarter of what 4 multi-head heads would hold.
      assert.equal(tf.memory().numTensors - before.numTensors, 2 * 2);
      assert.equal(tf.memory().numBytes - before.numBytes, 2 * 2 * (2 * 1 * 6 * 4) * 4);
      assertClose(Float32Array.from(pieces.flat()), full, 1e-5, 'pieces vs full');
    } finally {
      cache.dispose();
      m.dispose();
    }
    assert.equal(cache.length, 0);
  });

  it('takes LoRA on the narrower qkv (B [rank, D + 2·kvDim]) and merges into a plain grouped model with the same logits', async () => {
    const m = model(2, { ...LLAMA, lora: { rank: 2, alpha: 4, targets: ['*.attn.qkv'] } });
    try {
      assert.deepEqual(m.params.get('blocks.0.attn.qkv.lora_b')?.shape, [2, 32]);
      assert.deepEqual(m.params.get('blocks.0.attn.qkv.lora_a')?.shape, [16, 2]);
      randomizeParams(m, 14, 0.3);
      const plain = mergeLora(m);
      try {
        assert.equal(plain.options.kvHeads, 2);
        assertClose(await logitsOf(plain, ROWS), await logitsOf(m, ROWS), 1e-4, 'merged vs adapters');
      } finally {
        plain.dispose();
      }
      await expectNoLeak(() => {
        const ids = tf.tensor2d(ROWS, undefined, 'int32');
        const { value, grads } = tf.variableGrads(() => tf.sum(m.forward(ids, { training: true })) as tf.Scalar, [...m.lora!.paramNames].map((n) => m.params.get(n)!));
        assert.ok(Object.values(grads).every((g) => g.dataSync().some((x) => x !== 0)), 'every factor has a gradient');
        tf.dispose([ids, value, ...Object.values(grads)]);
      }, 'lora backward');
    } finally {
      m.dispose();
    }
  });

  it('rejects kvHeads that do not divide heads, or are not positive integers, at kvHeads', () => {
    for (const [kvHeads, message] of [
      [3, /kvHeads: must divide heads \(4\).*got 3/],
      [8, /kvHeads: must divide heads \(4\).*got 8/],
      [0, /kvHeads: must be a positive integer, got 0/],
      [1.5, /kvHeads: must be a positive integer, got 1.5/],
    ] as const) {
      assert.throws(() => model(kvHeads), (error: unknown) => error instanceof ConfigError && error.issues.length === 1 && error.issues[0].path === 'kvHeads' && message.test(error.message));
    }
  });
});
