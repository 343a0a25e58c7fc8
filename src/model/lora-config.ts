import { ArrayNotEmpty, IsArray, IsInt, IsNumber, IsOptional, IsPositive, IsString, Max, Min } from 'class-validator';
import { GPT_LIMITS } from './gpt-limits';

/** Dense layers LoRA adapts when `targets` is not given: the attention projections. */
export const DEFAULT_LORA_TARGETS: readonly string[] = Object.freeze(['*.attn.qkv', '*.attn.out']);

/**
 * Recipe section `model.lora`: low-rank adapters on the GPT's dense layers. With it every other
 * weight is frozen; `freeze:` patterns still apply on top. The model API checks `lora` options by
 * these same rules (`loraOptionIssues`), so both report the same reason for a bad value.
 */
export class LoraConfig {
  /** Rank of each adapter's update `A · B` (the trainable size grows with it). */
  @IsInt()
  @Min(1)
  @Max(GPT_LIMITS.dim) // no adapter is wider than the model
  rank!: number;

  /** The update is scaled by `alpha / rank` (default: rank, a scale of 1). */
  @IsOptional()
  @IsNumber()
  @IsPositive()
  alpha?: number;

  /** Globs over dense layer names, e.g. `*.attn.qkv`, `*.mlp.*`, `blocks.0.attn.out` (default: `*.attn.qkv`, `*.attn.out`). */
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty({ message: `lists no dense layer; leave it out for the attention projections (${DEFAULT_LORA_TARGETS.join(', ')})` })
  @IsString({ each: true })
  targets?: string[];

  /** Dropout on each adapter's input while training (at most 0.9, as the model's `dropout`). */
  @IsNumber()
  @Min(0)
  @Max(0.9)
  dropout = 0;
}
