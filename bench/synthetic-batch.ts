import * as tf from '@tensorflow/tfjs';
import type { LmBatch } from '../src/data/lm-batch';
import { Rng } from '../src/random';
import type { BenchConfig } from './bench-config';

/**
 * Makes full (unpadded, unpacked) language-model batches of random byte tokens: the same token
 * stream for every loop, new tensors each step as a data loader would hand over.
 */
export class SyntheticBatches {
  private readonly ids: Int32Array;
  private readonly labels: Int32Array;
  private readonly mask: Float32Array;

  constructor(private readonly config: BenchConfig, seed = 7) {
    const n = config.batchSize * config.seqLength;
    const rng = new Rng(seed);
    const stream = Int32Array.from({ length: n + 1 }, () => rng.int(config.vocabSize));
    this.ids = stream.subarray(0, n);
    this.labels = stream.subarray(1, n + 1);
    this.mask = new Float32Array(n).fill(1);
  }

  /** A new batch; the caller disposes it (`disposeBatch`). */
  next(): LmBatch {
    const shape: [number, number] = [this.config.batchSize, this.config.seqLength];
    const n = shape[0] * shape[1];
    return {
      inputIds: tf.tensor2d(this.ids, shape, 'int32'),
      labels: tf.tensor2d(this.labels, shape, 'int32'),
      lossMask: tf.tensor2d(this.mask, shape, 'float32'),
      numTokens: n,
      numLossTokens: n,
    };
  }
}
