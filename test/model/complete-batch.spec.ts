import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import '@tensorflow/tfjs-backend-wasm';
import { completeBatch, GptOptions } from '../../src/model';
import { expectNoLeak } from '../support/tensors';
import { argmax, logitsOf, randomizeParams, tinyModel } from './helpers';

const LLAMA: Partial<GptOptions> = { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false };
// Prompts of different lengths; one fills the context, one stops at once on the stop id path.
const PROMPTS = [[1], [2, 3, 4], [5, 6], [1, 2, 3, 4, 5, 6, 0, 1, 2, 3], [6, 6, 6, 6, 6], [3, 1, 4, 1, 5, 2]];

describe('completeBatch', () => {
  afterEach(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`gives the same completions with the KV cache as re-running every row (${backend}; rows of different lengths, past the cache's maxLength), without leaking`, async () => {
      await tf.setBackend(backend);
      for (const options of [{ maxLength: 10, layers: 2 }, { maxLength: 10, layers: 2, ...LLAMA }, { maxLength: 10, layers: 2, ...LLAMA, heads: 4, dim: 16, kvHeads: 2 }]) {
        const model = tinyModel(options);
        try {
          randomizeParams(model, 41);
          for (const stopTokenId of [0, 99]) {
            const run = (kvCache: boolean): Promise<number[][]> => completeBatch(model, PROMPTS, { maxNewTokens: 9, stopTokenId, padId: 0, chunkSize: 4, kvCache });
            const cached = await expectNoLeak(() => run(true), 'completeBatch');
            const whole = await run(false);
            assert.deepEqual(cached, whole, `${options.position ?? 'learned'} positions, kvHeads ${model.options.kvHeads}, stop ${stopTokenId}`);
            // Rows grow to the context (10 tokens) unless they stop.
            if (stopTokenId === 99) assert.deepEqual(cached.map((c, i) => c.length + PROMPTS[i].length), PROMPTS.map(() => 10));
          }
        } finally {
          model.dispose();
        }
      }
    });
  }

  it('completes each row as greedy decoding of that row alone does', async () => {
    const model = tinyModel({ maxLength: 10, layers: 2 });
    try {
      randomizeParams(model, 42);
      const got = await completeBatch(model, PROMPTS.slice(0, 3), { maxNewTokens: 4, stopTokenId: 99, padId: 0 });
      for (const [i, prompt] of PROMPTS.slice(0, 3).entries()) {
        const tokens = [...prompt];
        for (let s = 0; s < 4; s++) {
          const logits = await logitsOf(model, [tokens]);
          const v = model.options.vocabSize;
          tokens.push(argmax(logits.subarray((tokens.length - 1) * v, tokens.length * v)));
        }
        assert.deepEqual(got[i], tokens.slice(prompt.length), `row ${i}`);
      }
    } finally {
      model.dispose();
    }
  });
});
