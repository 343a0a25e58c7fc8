import { createHash } from 'crypto';
import * as tf from '@tensorflow/tfjs';
import { LmBatch } from '../data/lm-batch';
import { GptModel } from '../model/gpt-model';

/**
 * The frozen reference policy of preference training (DPO). With LoRA it is the policy itself
 * with its adapters switched off (the base weights never train, so no copy is needed); without,
 * a copy of the initial weights, held once (it doubles the weights' memory). It is never in
 * `model.params`: no optimizer, checkpoint or gradient sees it.
 */
export class ReferenceModel {
  /** The copy of the initial weights, when the policy has no adapters. */
  readonly copy?: GptModel;

  /**
   * @param policy The model being trained.
   * @param initial Without adapters, the initial weights when the policy no longer holds them (a
   *   resume rebuilt them: see `GptModelFactory.createInitialModel`); the reference takes and frees it.
   */
  constructor(
    private readonly policy: GptModel,
    initial?: GptModel,
  ) {
    if (policy.lora === undefined) this.copy = initial ?? new GptModel(policy.options, { weights: policy.params });
    else initial?.dispose();
  }

  /** SHA-256 of the copy's weights (names, shapes and float32 bytes, by name), or undefined without a copy. */
  async weightsHash(): Promise<string | undefined> {
    if (this.copy === undefined) return undefined;
    const hash = createHash('sha256');
    for (const [name, v] of [...this.copy.params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      // One weight read at a time: the copy is as large as the model.
      const values = (await v.data()) as Float32Array;
      hash.update(`${name}:${v.shape.join('x')}:${v.dtype};`).update(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    }
    return hash.digest('hex');
  }

  /** True when the reference is the policy with its adapters off (no copy held). */
  get sharesWeights(): boolean {
    return this.copy === undefined;
  }

  /** Next-token logits of the reference, inference mode (no dropout); call inside `tf.tidy`, outside any gradient tape. */
  logits(batch: LmBatch): tf.Tensor3D {
    const opts = { positions: batch.positions, segmentIds: batch.segmentIds, training: false };
    if (this.copy !== undefined) return this.copy.forward(batch.inputIds, opts);
    const lora = this.policy.lora as NonNullable<GptModel['lora']>;
    return lora.withoutAdapters(() => this.policy.forward(batch.inputIds, opts));
  }

  /** Frees the copy, if any. */
  dispose(): void {
    this.copy?.dispose();
  }
}
