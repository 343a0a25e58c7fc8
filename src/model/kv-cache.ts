import * as tf from '@tensorflow/tfjs';
import { ModelError } from './model-error';

interface LayerEntry {
  keys: tf.Tensor4D;
  values: tf.Tensor4D;
}

/**
 * The keys and values of the tokens a {@link GptModel} has already seen, per layer, for
 * incremental decoding: `model.forward(newIds, { cache })` attends to them and appends the new
 * tokens' own, so each generated token costs one token's forward pass instead of the whole
 * context's. Tensors are `[B, heads, T, headDim]`, keys already rotated when the model uses RoPE.
 *
 * A forward call that fails leaves the cache as it was. The cache owns its tensors: call
 * {@link dispose} when done.
 */
export class KvCache {
  private entries: LayerEntry[] = [];
  private staged: LayerEntry[] = [];
  private tokens = 0;
  private batch = 0;

  /** Tokens held (the position of the next token). */
  get length(): number {
    return this.tokens;
  }

  /** Batch size of the held keys and values; 0 while empty. */
  get batchSize(): number {
    return this.batch;
  }

  /**
   * Appends one layer's new keys and values (`[B, H, Tnew, hd]`) to the held ones and returns all
   * of them. Part of a forward pass: the result stays staged until {@link commit}.
   */
  extend(layer: number, keys: tf.Tensor4D, values: tf.Tensor4D): LayerEntry {
    if (this.staged[layer] !== undefined) throw new ModelError(`KvCache: layer ${layer} was extended twice in one forward pass`);
    const held = this.entries[layer];
    const entry = {
      keys: tf.keep(held === undefined ? keys : tf.concat([held.keys, keys], 2)),
      values: tf.keep(held === undefined ? values : tf.concat([held.values, values], 2)),
    };
    this.staged[layer] = entry;
    return entry;
  }

  /** Ends a successful forward pass of `batch × newTokens`: the staged layers replace the held ones. */
  commit(batch: number, newTokens: number): void {
    for (const [layer, entry] of this.staged.entries()) {
      const held = this.entries[layer];
      if (held !== undefined) tf.dispose([held.keys, held.values]);
      this.entries[layer] = entry;
    }
    this.staged = [];
    this.tokens += newTokens;
    this.batch = batch;
  }

  /** Ends a failed forward pass: its staged tensors are freed and the cache is unchanged. */
  abort(): void {
    for (const entry of this.staged) if (entry !== undefined) tf.dispose([entry.keys, entry.values]);
    this.staged = [];
  }

  /** Frees every held tensor; the cache is empty afterwards. */
  dispose(): void {
    this.abort();
    for (const entry of this.entries) tf.dispose([entry.keys, entry.values]);
    this.entries = [];
    this.tokens = 0;
    this.batch = 0;
  }
}
