import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { GptModel } from './gpt-model';
import { KvCache } from './kv-cache';
import { ModelError } from './model-error';

/** How {@link generate} and {@link sampleToken} pick the next token. */
export interface SamplingOptions {
  /** Softmax temperature; 0 picks the most likely token (greedy). Default 1. */
  temperature?: number;
  /** Sample only among the `topK` most likely tokens. Default: all. */
  topK?: number;
  /** Source of randomness; required when `temperature > 0`. */
  rng?: Rng;
}

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions {
  /** Upper bound on generated tokens. */
  maxNewTokens: number;
  /** Stop right after producing this token (it is included in the result). */
  stopTokenId?: number;
  /** More tokens to stop after, as `stopTokenId` (e.g. a chat template's end-of-turn token besides eos). */
  stopTokenIds?: readonly number[];
  /**
   * Keep the keys and values of earlier tokens ({@link KvCache}) so each new token costs one
   * token's forward pass. Default true; false re-runs the whole context every token.
   */
  kvCache?: boolean;
  /**
   * Called with each new token id as soon as it is chosen, in order (the stop token included),
   * before the next token's forward pass, e.g. to print text as it is generated (see
   * `TextStream`). The step's logits are already freed when it runs; an exception it throws ends
   * generation (the KV cache is freed) and is rethrown by {@link generate}.
   */
  onToken?: (id: number) => void;
}

/**
 * Picks a token id from one row of logits. Greedy ties go to the lowest id; sampling draws
 * one `rng.float()` per call, so a seeded `rng` reproduces the same choices.
 */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions = {}): number {
  const temperature = options.temperature ?? 1;
  if (!(temperature >= 0)) throw new ModelError(`temperature must be >= 0, got ${temperature}`);
  checkLogits(logits);
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  if (options.rng === undefined) throw new ModelError('Sampling with temperature > 0 needs an rng');
  let ids = Array.from({ length: logits.length }, (_, i) => i);
  const topK = options.topK ?? logits.length;
  if (!Number.isInteger(topK) || topK < 1) throw new ModelError(`topK must be a positive integer, got ${topK}`);
  if (topK < ids.length) ids = ids.sort((a, b) => logits[b] - logits[a] || a - b).slice(0, topK);
  let max = -Infinity;
  for (const i of ids) max = Math.max(max, logits[i] / temperature);
  const weights = ids.map((i) => Math.exp(logits[i] / temperature - max));
  let r = options.rng.float() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < ids.length; j++) {
    r -= weights[j];
    if (r < 0) return ids[j];
  }
  return ids[ids.length - 1];
}

/**
 * NaN or +Infinity logits come from weights that are not finite (a diverged run, a corrupt
 * import); the argmax and the sampler would turn them into an arbitrary id without a word.
 * (-Infinity is a token ruled out, which is fine.)
 */
function checkLogits(logits: ArrayLike<number>): void {
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i]) || logits[i] === Infinity) {
      throw new ModelError(`the model's logit for token id ${i} is ${logits[i]}: its weights are not finite (a diverged or corrupt checkpoint), so it cannot pick a next token`);
    }
  }
}

/**
 * Autoregressive generation from `promptIds`. Returns only the new tokens. The prompt runs once;
 * then each new token runs alone against the cached keys and values of the ones before
 * ({@link KvCache}). Past `maxLength` tokens the context slides: each step re-runs the model on
 * the last `maxLength` tokens (learned positions shift with the window, so nothing cached stays
 * valid). A model with a `slidingWindow` refuses, before running, a prompt and `maxNewTokens` that
 * would take it past the window. Leaves no tensors behind.
 */
export async function generate(model: GptModel, promptIds: number[], options: GenerateOptions): Promise<number[]> {
  if (promptIds.length === 0) throw new ModelError('generate needs a non-empty prompt');
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new ModelError(`maxNewTokens must be a non-negative integer, got ${options.maxNewTokens}`);
  }
  const { vocabSize, maxLength, slidingWindow } = model.options;
  // The last new token is never fed back: the model sees prompt + maxNewTokens − 1 tokens at most.
  const span = promptIds.length + options.maxNewTokens - 1;
  if (slidingWindow !== undefined && span > slidingWindow) {
    throw new ModelError(
      `generate: a prompt of ${promptIds.length} tokens and maxNewTokens ${options.maxNewTokens} run the model over ${span} tokens, past its slidingWindow ${slidingWindow} (model.slidingWindow; HF's sliding_window): ` +
        `Floe's attention is full causal, which equals the local layers' window only up to ${slidingWindow} tokens. Ask for at most ${Math.max(0, slidingWindow - promptIds.length + 1)} new tokens, or shorten the prompt`,
    );
  }
  const tokens = [...promptIds];
  const generated: number[] = [];
  let cache = options.kvCache === false ? undefined : new KvCache();
  try {
    while (generated.length < options.maxNewTokens) {
      if (cache !== undefined && tokens.length > maxLength) {
        cache.dispose();
        cache = undefined;
      }
      // With the cache, only the tokens it has not seen yet; else the whole (sliding) context.
      const context = cache !== undefined ? tokens.slice(cache.length) : tokens.slice(-maxLength);
      const last = tf.tidy(() => {
        const ids = tf.tensor2d(context, [1, context.length], 'int32');
        const logits = model.forward(ids, { cache });
        return tf.reshape(tf.slice(logits, [0, context.length - 1, 0], [1, 1, vocabSize]), [vocabSize]);
      });
      let values: Float32Array;
      try {
        values = (await last.data()) as Float32Array;
      } finally {
        last.dispose();
      }
      const next = sampleToken(values, options);
      tokens.push(next);
      generated.push(next);
      options.onToken?.(next);
      if (next === options.stopTokenId || options.stopTokenIds?.includes(next) === true) break;
    }
  } finally {
    cache?.dispose();
  }
  return generated;
}
