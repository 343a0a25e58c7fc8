import { IsIn, IsInt, IsNumber, IsPositive, Max, Min, ValidateIf } from 'class-validator';
import { isPlainObject } from '../config/compose';
import { ConfigRule } from '../config/config-rule';
import { SourceMap } from '../config/source-map';
import { buildConfig } from '../config/validate-config';
import { ConfigIssue } from '../errors';
import { GPT_LIMITS } from './gpt-limits';

/** RoPE scaling types Floe implements (HF's `rope_scaling.rope_type`). */
export const ROPE_SCALING_TYPES = ['llama3'] as const;

/** One RoPE scaling type. */
export type RopeScalingType = (typeof ROPE_SCALING_TYPES)[number];

/**
 * Llama 3.1's RoPE scaling (HF `rope_scaling: { rope_type: llama3, ... }`): only the inverse
 * frequencies change. Wavelengths `2π/f` shorter than `originalMaxLength / highFreqFactor` keep
 * `f`; longer than `originalMaxLength / lowFreqFactor` become `f / factor`; in between they blend,
 * `(1 − s)·f/factor + s·f` with `s = (originalMaxLength/wavelength − lowFreqFactor) / (highFreqFactor − lowFreqFactor)`.
 */
export interface RopeScaling {
  /** Scaling type: `llama3`. */
  type: RopeScalingType;
  /** How much longer the context is made: low frequencies are divided by it (Llama 3.1: 8). */
  factor: number;
  /** Wavelengths above `originalMaxLength / lowFreqFactor` are fully scaled (Llama 3.1: 1). */
  lowFreqFactor: number;
  /** Wavelengths below `originalMaxLength / highFreqFactor` are kept (Llama 3.1: 4). */
  highFreqFactor: number;
  /** Context length the model was pretrained with (Llama 3.1: 8192). */
  originalMaxLength: number;
}

function factorsProblem(c: RopeScalingConfig): string | undefined {
  // Non-numbers are the fields' own errors.
  if (typeof c.lowFreqFactor !== 'number' || typeof c.highFreqFactor !== 'number' || c.highFreqFactor > c.lowFreqFactor) return undefined;
  return `is ${c.highFreqFactor} but lowFreqFactor is ${c.lowFreqFactor}: the blend runs between the two wavelengths originalMaxLength / highFreqFactor < originalMaxLength / lowFreqFactor, so highFreqFactor must be greater than lowFreqFactor`;
}

/**
 * The llama3 numbers are checked unless the type is another one (`{ type: yarn }` alone is
 * refused by its type, not also by four llama3 fields a yarn user has no reason to write); one
 * written is always checked.
 */
const forLlama3 = ValidateIf((c: RopeScalingConfig, value: unknown) => value !== undefined || typeof c.type !== 'string' || (ROPE_SCALING_TYPES as readonly string[]).includes(c.type));

/**
 * Recipe section `model.ropeScaling`, a {@link RopeScaling}. The model API checks its options by
 * these same rules ({@link ropeScalingIssues}), so both report the same reason for a bad value.
 */
export class RopeScalingConfig implements RopeScaling {
  /** Scaling type: `llama3` (Llama 3.1/3.2's frequency-dependent scaling). */
  @IsIn([...ROPE_SCALING_TYPES])
  type!: RopeScalingType;

  /** Low frequencies are divided by this factor (≥ 1; Llama 3.1: 8). */
  @forLlama3
  @IsNumber()
  @Min(1)
  factor!: number;

  /** Wavelengths above originalMaxLength / lowFreqFactor are fully scaled (> 0; Llama 3.1: 1). */
  @forLlama3
  @IsNumber()
  @IsPositive()
  lowFreqFactor!: number;

  /** Wavelengths below originalMaxLength / highFreqFactor are kept (greater than lowFreqFactor; Llama 3.1: 4). */
  @forLlama3
  @IsNumber()
  @ConfigRule('highAboveLow', factorsProblem)
  highFreqFactor!: number;

  /** Context length of pretraining, HF's original_max_position_embeddings (Llama 3.1: 8192). */
  @forLlama3
  @IsInt()
  @Min(1)
  @Max(GPT_LIMITS.maxLength)
  originalMaxLength!: number;
}

/** Problems of `ropeScaling` options at `path` (a {@link RopeScalingConfig}'s rules). */
export function ropeScalingIssues(scaling: unknown, path: string): ConfigIssue[] {
  const plain = typeof scaling === 'object' && scaling !== null && !Array.isArray(scaling) && !isPlainObject(scaling) ? { ...scaling } : scaling;
  return buildConfig(RopeScalingConfig, plain, { path, sourceMap: new SourceMap() }).issues;
}

