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

  constructor(private readonly policy: GptModel) {
    if (policy.lora === undefined) this.copy = new GptModel(policy.options, { weights: policy.params });
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
