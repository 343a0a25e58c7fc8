import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import '@tensorflow/tfjs-backend-wasm';
import { generate, GptModel, GptOptions, KvCache, ModelError } from '../../src/model';
import { assertClose, expectNoLeak } from '../support/tensors';
import { cachedLogits, logitsOf, randomizeParams, tinyModel } from './helpers';

const LLAMA: Partial<GptOptions> = { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false };
/** Llama 3.1's RoPE scaling at a size where it changes every frequency of a tiny head. */
const LLAMA3_SCALING: GptOptions['ropeScaling'] = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxLength: 8 };
const YARN_SCALING: GptOptions['ropeScaling'] = { type: 'yarn', factor: 4, originalMaxLength: 6, attentionFactor: 1.5 };


describe('KvCache', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the logits of one full forward when the sequence is fed in pieces (GPT-2 and Llama layouts, grouped-query attention too, 2 rows)', async () => {
    const rows = [
      [1, 2, 3, 4, 5, 6, 0],
      [6, 5, 4, 3, 2, 1, 2],
    ];
    for (const options of [{ layers: 2 }, { layers: 2, ...LLAMA }, { layers: 2, ...LLAMA, kvHeads: 1 }, { layers: 2, heads: 4, dim: 16, kvHeads: 2 }, { layers: 2, ...LLAMA, ropeScaling: LLAMA3_SCALING }, { layers: 2, ...LLAMA, ropeScaling: YARN_SCALING }]) {
      const model = tinyModel(options);
      try {
        randomizeParams(model, 31);
        const full = await logitsOf(model, rows);
        const pieces = await expectNoLeak(() => cachedLogits(model, rows, [3, 1, 2, 1]), 'cached forward');
        assertClose(pieces, full, 1e-5, `${options.position ?? 'learned'} positions, kvHeads ${model.options.kvHeads} of ${model.options.heads}`);
        // Not vacuous: without the cache the last token alone sees no context and differs.
        const alone = await logitsOf(model, rows.map((r) => r.slice(6)));
        assert.ok(Math.abs(alone[0] - full[6 * model.options.vocabSize]) > 1e-3);
      } finally {
        model.dispose();
      }
    }
  });

  it('matches the full forward on wasm too, where the full forward uses the fused attention', async () => {
    await tf.setBackend('wasm');
    try {
      const model = tinyModel({ layers: 2, ...LLAMA });
      try {
        randomizeParams(model, 32);
        const rows = [[3, 1, 4, 1, 5, 6, 2, 6]];
        const full = await logitsOf(model, rows);
        assertClose(await cachedLogits(model, rows, [5, 1, 1, 1]), full, 1e-4, 'wasm');
      } finally {
        model.dispose();
      }
      // Llama 3 RoPE scaling: the fused (packed native rope) and cached paths read the same frequencies.
      const scaled = tinyModel({ layers: 2, ...LLAMA, ropeScaling: LLAMA3_SCALING });
      try {
        randomizeParams(scaled, 32);
        const rows = [[3, 1, 4, 1, 5, 6, 2, 6]];
        const full = await logitsOf(scaled, rows);
        assertClose(await cachedLogits(scaled, rows, [5, 1, 1, 1]), full, 1e-4, 'wasm, llama3 scaling');
      } finally {
        scaled.dispose();
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('refuses misuse with a message, and a refused call leaves the cache as it was', async () => {
    const model = tinyModel({ maxLength: 5 });
    const cache = new KvCache();
    try {
      const ids = (row: number[][]): tf.Tensor2D => tf.tensor2d(row, undefined, 'int32');
      tf.tidy(() => model.forward(ids([[1, 2, 3]]), { cache }));
      const rejects = (call: () => unknown, pattern: RegExp): void =>
        assert.throws(() => tf.tidy(call as () => tf.Tensor), (e: Error) => e instanceof ModelError && pattern.test(e.message));
      rejects(() => model.forward(ids([[1, 2, 3]]), { cache }), /holds 3 tokens; 3 more make 6, past the model's maxLength 5/);
      rejects(() => model.forward(ids([[1], [2]]), { cache }), /holds a batch of 1 rows, but inputIds has 2/);
      rejects(() => model.forward(ids([[1]]), { cache, training: true }), /for inference/);
      rejects(() => model.forward(ids([[1]]), { cache, segmentIds: ids([[0]]) }), /segmentIds/);
      assert.equal(cache.length, 3);
      tf.tidy(() => model.forward(ids([[4, 5]]), { cache }));
      assert.equal(cache.length, 5);
    } finally {
      cache.dispose();
      model.dispose();
    }
    assert.equal(cache.length, 0);
  });
});

describe('generate with the KV cache', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('produces the same tokens as re-running the whole context, past maxLength too (grouped-query attention too), without leaking', async () => {
    for (const options of [{ maxLength: 8, layers: 2 }, { maxLength: 8, layers: 2, ...LLAMA }, { maxLength: 8, layers: 2, ...LLAMA, heads: 4, dim: 16, kvHeads: 2 }, { maxLength: 8, layers: 2, kvHeads: 1 }]) {
      const model = tinyModel(options);
      try {
        randomizeParams(model, 33);
        for (const prompt of [[1], [2, 3, 4], [1, 2, 3, 4, 5, 6, 0, 1]]) {
          const cached = await expectNoLeak(() => generate(model, prompt, { maxNewTokens: 12, temperature: 0 }), 'generate');
          const plain = await generate(model, prompt, { maxNewTokens: 12, temperature: 0, kvCache: false });
          assert.deepEqual(cached, plain, `prompt [${prompt.join(', ')}]`);
          assert.equal(cached.length, 12);
        }
      } finally {
        model.dispose();
      }
    }
  });
});
