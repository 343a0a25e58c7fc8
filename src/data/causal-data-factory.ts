import { IsIn } from 'class-validator';
import { register } from '../registry/register';
import { buildLmData, LmDataLoaders } from './build-lm-data';
import { DataFactory } from './data-factory';
import { LmBatch } from './lm-batch';
import { LmDataConfig } from './lm-data-config';

/** Config of `causal` data: documents + eos, concatenated and cut into maxLength windows. */
export class CausalDataConfig extends LmDataConfig {
  /** Keep or drop the final partial window. */
  @IsIn(['keep', 'drop'])
  remainder: 'keep' | 'drop' = 'keep';
}

/** Causal language-model data: every token is trained on. */
@register()
export class CausalDataFactory extends DataFactory<CausalDataConfig, LmBatch> {
  static override readonly type: string = 'causal';
  static override readonly configType = CausalDataConfig;

  async createDataLoaders(): Promise<LmDataLoaders> {
    return buildLmData(this.trainer, this.config, { mode: 'causal', remainder: this.config.remainder });
  }
}
