import { IsBoolean, IsIn, IsInt, IsNumber, IsPositive, Max, Min, ValidateIf } from 'class-validator';
import { isPlainObject } from '../config/compose';
import { ConfigRule } from '../config/config-rule';
import { SourceMap } from '../config/source-map';
import { buildConfig } from '../config/validate-config';
import { ConfigIssue } from '../errors';
import { GPT_LIMITS } from './gpt-limits';

/** RoPE scaling types Floe implements (HF's `rope_scaling.rope_type`). */
export const ROPE_SCALING_TYPES = ['llama3', 'linear', 'yarn', 'dynamic'] as const;

/** One RoPE scaling type. */
export type RopeScalingType = (typeof ROPE_SCALING_TYPES)[number];

/** The settings of one RoPE scaling type. */
export interface RopeScalingFields {
  /** Settings the type needs. */
  required: readonly string[];
  /** Settings the type may have (HF's defaults otherwise). */
  optional: readonly string[];
}

/**
 * The settings of {@link RopeScalingConfig} each type takes: a setting of another type is
 * refused, naming the type's own.
 */
export const ROPE_SCALING_FIELDS: Record<RopeScalingType, RopeScalingFields> = {
  llama3: { required: ['factor', 'lowFreqFactor', 'highFreqFactor', 'originalMaxLength'], optional: [] },
  linear: { required: ['factor'], optional: [] },
  yarn: { required: ['factor', 'originalMaxLength'], optional: ['betaFast', 'betaSlow', 'attentionFactor', 'mscale', 'mscaleAllDim', 'truncate'] },
  dynamic: { required: ['factor', 'originalMaxLength'], optional: [] },
};

/**
 * Llama 3.1's RoPE scaling (HF `rope_scaling: { rope_type: llama3, ... }`): only the inverse
 * frequencies change. Wavelengths `2π/f` shorter than `originalMaxLength / highFreqFactor` keep
 * `f`; longer than `originalMaxLength / lowFreqFactor` become `f / factor`; in between they blend,
 * `(1 − s)·f/factor + s·f` with `s = (originalMaxLength/wavelength − lowFreqFactor) / (highFreqFactor − lowFreqFactor)`.
 */
export interface Llama3RopeScaling {
  /** Scaling type: `llama3`. */
  type: 'llama3';
  /** How much longer the context is made: low frequencies are divided by it (Llama 3.1: 8). */
  factor: number;
  /** Wavelengths above `originalMaxLength / lowFreqFactor` are fully scaled (Llama 3.1: 1). */
  lowFreqFactor: number;
  /** Wavelengths below `originalMaxLength / highFreqFactor` are kept (Llama 3.1: 4). */
  highFreqFactor: number;
  /** Context length the model was pretrained with (Llama 3.1: 8192). */
  originalMaxLength: number;
}

/** Linear position interpolation (HF `rope_type: linear`): every inverse frequency divided by `factor`. */
export interface LinearRopeScaling {
  /** Scaling type: `linear`. */
  type: 'linear';
  /** Positions (equivalently, frequencies) are divided by it. */
  factor: number;
}

/**
 * YaRN (HF `rope_type: yarn`): frequencies blended between `f / factor` (interpolation) and `f`
 * (extrapolation) by a linear ramp over the rotary pairs between the dimensions at which the
 * original context makes `betaFast` and `betaSlow` turns; cos and sin multiplied by the
 * attention factor.
 */
export interface YarnRopeScaling {
  /** Scaling type: `yarn`. */
  type: 'yarn';
  /** Context extension factor: the interpolated frequencies are `f / factor`. */
  factor: number;
  /** Context length of pretraining, which places the ramp (HF's original_max_position_embeddings). */
  originalMaxLength: number;
  /** Rotations at which the ramp starts keeping frequencies (default 32). */
  betaFast?: number;
  /** Rotations at which the ramp reaches full interpolation (default 1). */
  betaSlow?: number;
  /** Multiplies cos and sin (default from mscale/mscaleAllDim, else `0.1·ln(factor) + 1`). */
  attentionFactor?: number;
  /** DeepSeek's numerator mscale of the default attention factor (with mscaleAllDim). */
  mscale?: number;
  /** DeepSeek's denominator mscale of the default attention factor (with mscale). */
  mscaleAllDim?: number;
  /** Round the ramp's ends outwards to whole dimensions (default true). */
  truncate?: boolean;
}

/**
 * Dynamic NTK (HF `rope_type: dynamic`): HF raises the base only for sequences longer than its
 * `max_position_embeddings`, so within `originalMaxLength` it is plain RoPE. Floe takes it only
 * with `maxLength ≤ originalMaxLength`, where HF's numbers are the plain ones.
 */
export interface DynamicRopeScaling {
  /** Scaling type: `dynamic`. */
  type: 'dynamic';
  /** HF's NTK factor, applied only past originalMaxLength (so never inside Floe's context). */
  factor: number;
  /** Length past which HF would rescale (its max_position_embeddings); maxLength may not exceed it. */
  originalMaxLength: number;
}

/** One RoPE scaling, by type. */
export type RopeScaling = Llama3RopeScaling | LinearRopeScaling | YarnRopeScaling | DynamicRopeScaling;

function factorsProblem(c: RopeScalingConfig): string | undefined {
  // Non-numbers are the fields' own errors.
  if (typeof c.lowFreqFactor !== 'number' || typeof c.highFreqFactor !== 'number' || c.highFreqFactor > c.lowFreqFactor) return undefined;
  return `is ${c.highFreqFactor} but lowFreqFactor is ${c.lowFreqFactor}: the blend runs between the two wavelengths originalMaxLength / highFreqFactor < originalMaxLength / lowFreqFactor, so highFreqFactor must be greater than lowFreqFactor`;
}

function knownType(type: unknown): RopeScalingType | undefined {
  return typeof type === 'string' && (ROPE_SCALING_TYPES as readonly string[]).includes(type) ? (type as RopeScalingType) : undefined;
}

/**
 * A setting is checked when written, or when its type requires it; with no type at all only
 * `factor`, which every type needs, is asked for beside the type (so the generated reference and
 * schema mark only those two required). An unknown type is refused by its type alone, not also by
 * fields its user had no reason to write ("one error, not five").
 */
const checkedFor = (field: string): PropertyDecorator =>
  ValidateIf((c: RopeScalingConfig, value: unknown) => {
    if (value !== undefined) return true;
    if (c.type === undefined || c.type === null) return field === 'factor';
    const type = knownType(c.type);
    return type !== undefined && ROPE_SCALING_FIELDS[type].required.includes(field);
  });

/** A setting written for a (known) type that does not take it: names the type's settings. */
const belongsToType = (field: keyof RopeScalingConfig): PropertyDecorator =>
  ConfigRule('belongsToType', (c: RopeScalingConfig) => {
    const type = knownType(c.type);
    if (c[field] === undefined || type === undefined) return undefined;
    const { required, optional } = ROPE_SCALING_FIELDS[type];
    if (required.includes(field) || optional.includes(field)) return undefined;
    return `is not a setting of type ${type}, which takes ${required.join(', ')}${optional.length === 0 ? '' : ` (and optionally ${optional.join(', ')})`}`;
  });

/**
 * Recipe section `model.ropeScaling`, a {@link RopeScaling} of any type with the settings its
 * type takes ({@link ROPE_SCALING_FIELDS}). The model API checks its options by these same rules
 * ({@link ropeScalingIssues}), so both report the same reason for a bad value.
 */
export class RopeScalingConfig {
  /** Scaling type: `llama3` (Llama 3.1/3.2), `linear`, `yarn` or `dynamic` (NTK, within the original context only). */
  @IsIn([...ROPE_SCALING_TYPES])
  type!: RopeScalingType;

  /** Context extension factor (≥ 1): llama3 divides low frequencies by it, linear all of them, yarn interpolates with it (Llama 3.1: 8). */
  @checkedFor('factor')
  @IsNumber()
  @Min(1)
  factor!: number;

  /** llama3 (required there): wavelengths above originalMaxLength / lowFreqFactor are fully scaled (> 0; Llama 3.1: 1). */
  @checkedFor('lowFreqFactor')
  @IsNumber()
  @IsPositive()
  @belongsToType('lowFreqFactor')
  lowFreqFactor?: number;

  /** llama3 (required there): wavelengths below originalMaxLength / highFreqFactor are kept (greater than lowFreqFactor; Llama 3.1: 4). */
  @checkedFor('highFreqFactor')
  @IsNumber()
  @ConfigRule('highAboveLow', factorsProblem)
  @belongsToType('highFreqFactor')
  highFreqFactor?: number;

  /** llama3, yarn, dynamic (required there): context length of pretraining, HF's original_max_position_embeddings (Llama 3.1: 8192); dynamic needs maxLength ≤ it. */
  @checkedFor('originalMaxLength')
  @IsInt()
  @Min(1)
  @Max(GPT_LIMITS.maxLength)
  @belongsToType('originalMaxLength')
  originalMaxLength?: number;

  /** yarn: rotations at which the ramp starts keeping frequencies (> 0, default 32). */
  @checkedFor('betaFast')
  @IsNumber()
  @IsPositive()
  @belongsToType('betaFast')
  betaFast?: number;

  /** yarn: rotations at which the ramp reaches full interpolation (> 0, default 1). */
  @checkedFor('betaSlow')
  @IsNumber()
  @IsPositive()
  @belongsToType('betaSlow')
  betaSlow?: number;

  /** yarn: multiplies cos and sin (> 0; default from mscale/mscaleAllDim, else 0.1·ln(factor) + 1). */
  @checkedFor('attentionFactor')
  @IsNumber()
  @IsPositive()
  @belongsToType('attentionFactor')
  attentionFactor?: number;

  /** yarn: DeepSeek's mscale of the default attention factor, used with mscaleAllDim (> 0). */
  @checkedFor('mscale')
  @IsNumber()
  @IsPositive()
  @belongsToType('mscale')
  mscale?: number;

  /** yarn: DeepSeek's mscale_all_dim of the default attention factor, used with mscale (> 0). */
  @checkedFor('mscaleAllDim')
  @IsNumber()
  @IsPositive()
  @belongsToType('mscaleAllDim')
  mscaleAllDim?: number;

  /** yarn: round the ramp's ends outwards to whole dimensions (default true). */
  @checkedFor('truncate')
  @IsBoolean()
  @belongsToType('truncate')
  truncate?: boolean;
}

/** Problems of `ropeScaling` options at `path` (a {@link RopeScalingConfig}'s rules). */
export function ropeScalingIssues(scaling: unknown, path: string): ConfigIssue[] {
  const plain = typeof scaling === 'object' && scaling !== null && !Array.isArray(scaling) && !isPlainObject(scaling) ? { ...scaling } : scaling;
  return buildConfig(RopeScalingConfig, plain, { path, sourceMap: new SourceMap() }).issues;
}

/**
 * Why `dynamic` scaling cannot run at context `maxLength`, or undefined: HF rescales past
 * originalMaxLength, by a base that depends on the sequence length, which Floe does not do.
 */
export function dynamicContextProblem(scaling: { type?: unknown; originalMaxLength?: unknown } | undefined, maxLength: unknown): string | undefined {
  if (scaling?.type !== 'dynamic' || typeof scaling.originalMaxLength !== 'number' || typeof maxLength !== 'number') return undefined;
  if (maxLength <= scaling.originalMaxLength) return undefined;
  return `dynamic scaling with maxLength ${maxLength} above originalMaxLength ${scaling.originalMaxLength}: HF's dynamic NTK raises the RoPE base per sequence length past ${scaling.originalMaxLength} tokens, which Floe does not implement; set maxLength ≤ ${scaling.originalMaxLength}, or use linear or yarn scaling`;
}
