import { CheckpointError } from '../../errors';
import type { RopeScaling } from '../../model/rope-scaling-config';

/**
 * `config.json`'s `rope_scaling` for a model's `ropeScaling` at context `maxLength` (written as
 * `max_position_embeddings`), in HF's form, so that the HF importer reads the same scaling back:
 * null for plain RoPE; `original_max_position_embeddings` only where it differs from
 * `max_position_embeddings` (HF's fallback); yarn's optional numbers only when set.
 *
 * @throws CheckpointError for a yarn scaling whose factor differs from maxLength /
 * originalMaxLength, which transformers versions read differently.
 */
export function hfRopeScalingJson(scaling: RopeScaling | undefined, maxLength: number): Record<string, unknown> | null {
  if (scaling === undefined) return null;
  switch (scaling.type) {
    case 'llama3':
      return { rope_type: 'llama3', factor: scaling.factor, low_freq_factor: scaling.lowFreqFactor, high_freq_factor: scaling.highFreqFactor, original_max_position_embeddings: scaling.originalMaxLength };
    case 'linear':
      return { rope_type: 'linear', factor: scaling.factor };
    case 'dynamic':
      return { rope_type: 'dynamic', factor: scaling.factor, ...(scaling.originalMaxLength === maxLength ? {} : { original_max_position_embeddings: scaling.originalMaxLength }) };
    case 'yarn': {
      const original = scaling.originalMaxLength;
      if (original !== maxLength && Math.abs(maxLength / original - scaling.factor) > 1e-9 * scaling.factor) {
        throw new CheckpointError(
          `Cannot export the model as a HuggingFace folder (--format hf / checkpoint type hf): model.ropeScaling is yarn with factor ${scaling.factor} and originalMaxLength ${original}, but model.maxLength (max_position_embeddings) is ${maxLength}; transformers 4.50+ takes the factor as max_position_embeddings / original_max_position_embeddings = ${maxLength / original}, so the folder would compute other frequencies. Export models whose maxLength is originalMaxLength or originalMaxLength × factor.`,
        );
      }
      const optional = {
        beta_fast: scaling.betaFast,
        beta_slow: scaling.betaSlow,
        attention_factor: scaling.attentionFactor,
        mscale: scaling.mscale,
        mscale_all_dim: scaling.mscaleAllDim,
        truncate: scaling.truncate,
      };
      return {
        rope_type: 'yarn',
        factor: scaling.factor,
        ...(original === maxLength ? {} : { original_max_position_embeddings: original }),
        ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
      };
    }
  }
}
