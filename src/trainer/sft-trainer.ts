import * as tf from '@tensorflow/tfjs';
import { LmBatch } from '../data/lm-batch';
import { SftDataFactory } from '../data/sft-data-factory';
import { crossEntropyLoss } from '../model/cross-entropy-loss';
import { GptModelFactory } from '../model/gpt-model-factory';
import { register } from '../registry/register';
import { LanguageModelTrainer } from './lm-trainer';

/**
 * Supervised fine-tuning: cross-entropy on the unmasked (assistant / completion) tokens only,
 * averaged over those tokens.
 */
@register()
export class SFTTrainer extends LanguageModelTrainer {
  static override readonly type: string = 'sft';
  static override readonly dataFactoryType = [SftDataFactory];
  static override readonly modelFactoryType = [GptModelFactory];

  loss(batch: LmBatch): tf.Scalar {
    return crossEntropyLoss(this.logits(batch), batch.labels, batch.lossMask);
  }
}
