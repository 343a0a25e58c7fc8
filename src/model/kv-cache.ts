import * as tf from '@tensorflow/tfjs';
import { MASKED_SCORE } from './attention-mask';
import { ModelError } from './model-error';

interface LayerEntry {
  keys: tf.Tensor4D;
  values: tf.Tensor4D;
}

/**
 * The keys and values of the tokens a {@link GptModel} has already seen, per layer, for
 * incremental decoding: `model.forward(newIds, { cache })` attends to them and appends the new
 * tokens' own, so each generated token costs one token's forward pass instead of the whole
 * context's. Tensors are `[B, kvHeads, T, headDim]` (grouped-query attention keeps one per key/value
 * head, not per query head), keys already rotated when the model uses RoPE.
 *
 * A forward call that fails leaves the cache as it was. The cache owns its tensors: call
 * {@link dispose} when done.
 */
export class KvCache {
  private entries: LayerEntry[] = [];
  private staged: LayerEntry[] = [];
  // Additive bias of every held key `[B, 1, 1, T]`: MASKED_SCORE for padding; none until padding is seen.
  private bias?: tf.Tensor4D;
  private stagedBias?: tf.Tensor4D;
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
   * Appends one layer's new keys and values (`[B, kvHeads, Tnew, hd]`) to the held ones and returns all
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

  /**
   * The additive key bias `[B, 1, 1, held + Tnew]` of a forward pass of `batch × newTokens` whose
   * `padding` (`[B, Tnew]`, 1 for padding) marks keys no token may attend to; undefined while no
   * padding was ever given. Part of a forward pass: staged until {@link commit}.
   */
  keyBias(padding: tf.Tensor2D | undefined, batch: number, newTokens: number): tf.Tensor4D | undefined {
    if (padding === undefined && this.bias === undefined) return undefined;
    const fresh = padding === undefined ? tf.zeros([batch, 1, 1, newTokens]) : tf.mul(tf.reshape(tf.cast(padding, 'float32'), [batch, 1, 1, newTokens]), MASKED_SCORE);
    const held = this.bias ?? (this.tokens > 0 ? tf.zeros([batch, 1, 1, this.tokens]) : undefined);
    this.stagedBias = tf.keep((held === undefined ? fresh : tf.concat([held, fresh], 3)) as tf.Tensor4D);
    return this.stagedBias;
  }

  /** Ends a successful forward pass of `batch × newTokens`: the staged layers replace the held ones. */
  commit(batch: number, newTokens: number): void {
    if (this.stagedBias !== undefined) {
      this.bias?.dispose();
      this.bias = this.stagedBias;
      this.stagedBias = undefined;
    }
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
    this.stagedBias?.dispose();
    this.stagedBias = undefined;
  }

  /** Frees every held tensor; the cache is empty afterwards. */
  dispose(): void {
    this.abort();
    for (const entry of this.entries) tf.dispose([entry.keys, entry.values]);
    this.entries = [];
    this.bias?.dispose();
    this.bias = undefined;
    this.tokens = 0;
    this.batch = 0;
  }
}
