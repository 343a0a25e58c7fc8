import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { generate, ModelError, sampleToken } from '../../src/model';
import { Rng } from '../../src/random';
import { expectNoLeak } from '../support/tensors';
import { argmax, logitsOf, randomizeParams, tinyModel } from './helpers';

describe('generate', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('greedy decoding equals an argmax loop over full forwards, without leaking', async () => {
    const model = tinyModel({ maxLength: 6 });
    try {
      randomizeParams(model, 21);
      const v = model.options.vocabSize;
      const prompt = [1, 2, 3];
      // Runs past maxLength, so the context window slides.
      const got = await expectNoLeak(() => generate(model, prompt, { maxNewTokens: 6, temperature: 0 }), 'generate');
      const tokens = [...prompt];
      for (let i = 0; i < 6; i++) {
        const ctx = tokens.slice(-6);
        const logits = await logitsOf(model, [ctx]);
        tokens.push(argmax(logits.subarray((ctx.length - 1) * v, ctx.length * v)));
      }
      assert.deepEqual(got, tokens.slice(3));
    } finally {
      model.dispose();
    }
  });

  it('stops after the stop token and reproduces samples from the same rng seed', async () => {
    const model = tinyModel();
    try {
      randomizeParams(model, 22);
      const greedy = await generate(model, [4], { maxNewTokens: 5, temperature: 0 });
      const stopped = await generate(model, [4], { maxNewTokens: 5, temperature: 0, stopTokenId: greedy[1] });
      assert.deepEqual(stopped, greedy.slice(0, greedy.indexOf(greedy[1]) + 1));
      // Any of stopTokenIds stops it too, beside stopTokenId.
      const unseen = [...Array(model.options.vocabSize).keys()].find((id) => !greedy.includes(id)) as number;
      assert.deepEqual(await generate(model, [4], { maxNewTokens: 5, temperature: 0, stopTokenId: unseen, stopTokenIds: [unseen, greedy[2]] }), greedy.slice(0, greedy.indexOf(greedy[2]) + 1));
      const sample = (seed: number, topK?: number): Promise<number[]> =>
        generate(model, [4, 2], { maxNewTokens: 12, temperature: 1.5, topK, rng: new Rng(seed) });
      assert.deepEqual(await sample(9), await sample(9));
      assert.notDeepEqual(await sample(9), await sample(10));
      const topOne = await generate(model, [4], { maxNewTokens: 5, temperature: 1, topK: 1, rng: new Rng(1) });
      assert.deepEqual(topOne, greedy);
      await assert.rejects(generate(model, [4], { maxNewTokens: 1, temperature: 1 }), ModelError);
    } finally {
      model.dispose();
    }
  });

  it('hands each new id to onToken as it is chosen (the stop token included), changing nothing else and leaking nothing', async () => {
    const model = tinyModel({ maxLength: 6 });
    try {
      randomizeParams(model, 23);
      for (const kvCache of [true, false]) {
        const plain = await generate(model, [1, 2], { maxNewTokens: 7, temperature: 0, kvCache });
        const seen: number[] = [];
        const got = await expectNoLeak(() => generate(model, [1, 2], { maxNewTokens: 7, temperature: 0, kvCache, onToken: (id) => seen.push(id) }), 'generate with onToken');
        assert.deepEqual(got, plain);
        assert.deepEqual(seen, got);
        const stopSeen: number[] = [];
        const stopped = await generate(model, [1, 2], { maxNewTokens: 7, temperature: 0, kvCache, stopTokenId: plain[2], onToken: (id) => stopSeen.push(id) });
        assert.deepEqual(stopSeen, stopped);
        assert.equal(stopSeen[stopSeen.length - 1], plain[2]);
        // A hook that throws ends generation there; the KV cache is freed.
        let calls = 0;
        const before = tf.memory().numTensors;
        const failing = generate(model, [1, 2], {
          maxNewTokens: 7,
          temperature: 0,
          kvCache,
          onToken: () => {
            if (++calls === 3) throw new Error('reader gone');
          },
        });
        await assert.rejects(failing, /reader gone/);
        assert.equal(calls, 3);
        assert.equal(tf.memory().numTensors, before, 'a failed generation leaves no tensors');
      }
    } finally {
      model.dispose();
    }
  });
});

describe('sampleToken', () => {
  it('samples in proportion to softmax(logits / temperature) within the top k', () => {
    const rng = new Rng(5);
    const logits = [0, Math.log(3), Math.log(6), -50];
    const counts = [0, 0, 0, 0];
    const n = 6000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, { temperature: 1, topK: 2, rng })]++;
    // Top-2 are ids 2 and 1 with weights 6:3.
    assert.equal(counts[0] + counts[3], 0);
    assert.ok(Math.abs(counts[2] / n - 2 / 3) < 0.03, `p(2) = ${counts[2] / n}`);
    const hot = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) hot[sampleToken(logits, { temperature: 2, rng })]++;
    // Temperature 2: weights 1 : √3 : √6 : ~0.
    assert.ok(Math.abs(hot[0] / n - 1 / (1 + Math.sqrt(3) + Math.sqrt(6))) < 0.03, `p(0) = ${hot[0] / n}`);
    assert.equal(sampleToken(logits, { temperature: 0 }), 2);
  });

  it('refuses NaN or +Infinity logits (weights that are not finite) instead of picking an arbitrary id', () => {
    for (const bad of [NaN, Infinity]) {
      for (const temperature of [0, 1]) {
        assert.throws(() => sampleToken([0.5, bad, 2], { temperature, rng: new Rng(1) }), (e: Error) => e instanceof ModelError && /logit for token id 1 is (NaN|Infinity)/.test(e.message));
      }
    }
    assert.equal(sampleToken([-Infinity, 1, -Infinity], { temperature: 1, rng: new Rng(1) }), 1, '-Infinity only rules a token out');
  });
});
