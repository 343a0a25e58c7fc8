import type * as tf from '@tensorflow/tfjs';
import type { GptForwardOptions, GptModel } from './gpt-model';
import type { ResolvedGptOptions } from './gpt-options';
import type { KvCache } from './kv-cache';
import { ModelError } from './model-error';

function checkCache(o: ResolvedGptOptions, cache: KvCache, b: number, t: number, opts: GptForwardOptions): void {
  if (opts.training === true) throw new ModelError('GptModel.forward: a KV cache is for inference; it cannot be used with training: true');
  if (opts.segmentIds !== undefined) throw new ModelError('GptModel.forward: a KV cache cannot be used with segmentIds (packed rows); decode one sequence per row');
  const pad = opts.padding;
  if (pad !== undefined && (pad.rank !== 2 || pad.shape[0] !== b || pad.shape[1] !== t)) {
    throw new ModelError(`GptModel.forward expects padding [${b}, ${t}] (1 for padding, 0 for tokens), got [${pad.shape.join(', ')}]`);
  }
  if (cache.length > 0 && cache.batchSize !== b) {
    throw new ModelError(`GptModel.forward: the KV cache holds a batch of ${cache.batchSize} rows, but inputIds has ${b}`);
  }
  checkWindow(o, cache.length + t, `the KV cache holds ${cache.length} tokens; ${t} more make ${cache.length + t},`);
  if (cache.length + t > o.maxLength) {
    throw new ModelError(
      `GptModel.forward: the KV cache holds ${cache.length} tokens; ${t} more make ${cache.length + t}, past the model's maxLength ${o.maxLength} (start a new cache over the last ${o.maxLength} tokens)`,
    );
  }
}

/**
 * Local (sliding-window) layers attend to the last `slidingWindow` tokens; Floe's full causal
 * attention computes the same only while no query is further than that from its first key.
 */
function checkWindow(o: ResolvedGptOptions, span: number, what: string): void {
  if (o.slidingWindow === undefined || span <= o.slidingWindow) return;
  throw new ModelError(
    `GptModel.forward: ${what} past the model's slidingWindow ${o.slidingWindow} (model.slidingWindow; HF's sliding_window): Floe's attention is full causal, which equals the local layers' window only up to ${o.slidingWindow} tokens. Use at most ${o.slidingWindow} tokens (data.maxLength, or a new cache)`,
  );
}

/**
 * Refuses inputs {@link GptModel.forward} cannot run (ids not int32 `[B, T]`, longer than
 * maxLength or a sliding window, a KV cache with training or packed rows, mis-shaped positions, segments or padding).
 * @throws ModelError saying what was given and what is expected.
 */
export function checkGptForwardInputs(o: ResolvedGptOptions, inputIds: tf.Tensor2D, opts: GptForwardOptions): void {
  if (inputIds.rank !== 2 || inputIds.dtype !== 'int32') {
    throw new ModelError(`GptModel.forward expects int32 inputIds [B, T], got ${inputIds.dtype} [${inputIds.shape.join(', ')}]`);
  }
  const [b, t] = inputIds.shape;
  if (b < 1 || t < 1) throw new ModelError(`GptModel.forward got an empty batch [${b}, ${t}]`);
  if (t > o.maxLength) {
    throw new ModelError(`Sequence length ${t} exceeds the model's maxLength ${o.maxLength}`);
  }
  if (opts.cache === undefined) checkWindow(o, t, `sequence length ${t} is`);
  if (opts.cache !== undefined) checkCache(o, opts.cache, b, t, opts);
  else if (opts.padding !== undefined) throw new ModelError('GptModel.forward: padding is for a KV cache (rows of different lengths decoded together); without one, right-pad and read each row at its own last position');
  for (const key of ['positions', 'segmentIds'] as const) {
    const x = opts[key];
    if (x !== undefined && (x.dtype !== 'int32' || x.rank !== 2 || x.shape[0] !== b || x.shape[1] !== t)) {
      throw new ModelError(`GptModel.forward expects ${key} int32 [${b}, ${t}], got ${x.dtype} [${x.shape.join(', ')}]`);
    }
  }
}
