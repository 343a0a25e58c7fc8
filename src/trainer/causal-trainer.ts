import * as tf from '@tensorflow/tfjs';
import { CausalDataFactory } from '../data/causal-data-factory';
import { LmBatch } from '../data/lm-batch';
import { SftDataFactory } from '../data/sft-data-factory';
import { crossEntropyLoss } from '../model/cross-entropy-loss';
import { GptModelFactory } from '../model/gpt-model-factory';
import { register } from '../registry/register';
import { LanguageModelTrainer } from './lm-trainer';

/** Next-token prediction: cross-entropy averaged over the real (unpadded) tokens. */
@register()
export class CausalTrainer extends LanguageModelTrainer {
  static override readonly type: string = 'causal';
  static override readonly dataFactoryType = [CausalDataFactory, SftDataFactory];
  static override readonly modelFactoryType = [GptModelFactory];

  loss(batch: LmBatch): tf.Scalar {
    return crossEntropyLoss(this.logits(batch), batch.labels, batch.lossMask);
  }
}
