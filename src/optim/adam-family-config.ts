import { ArrayMaxSize, ArrayMinSize, IsArray, IsNumber, IsPositive, IsString, Max, Min } from 'class-validator';
import { OptimizerConfig } from './optimizer-factory';
import { DEFAULT_NO_DECAY_PATTERNS } from './decay-filter';

/** Shared settings of Adam and AdamW. */
export class AdamFamilyConfig extends OptimizerConfig {
  /** Decay rates of the first and second moment estimates, each in [0, 1). */
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @IsNumber({}, { each: true })
  @Min(0, { each: true })
  @Max(0.999999, { each: true, message: 'betas must each be from 0 to 0.999999' })
  betas: [number, number] = [0.9, 0.999];

  /** Added to the denominator for numerical stability. */
  @IsPositive()
  eps = 1e-8;

  /** Weight decay coefficient (decoupled for AdamW, L2 for Adam). */
  @IsNumber()
  @Min(0)
  weightDecay = 0.01;

  /** Weight-name patterns exempt from decay (globs: `*.bias`, `*norm*`, `embed.*`); a list replaces the default, `[]` decays every weight. */
  @IsArray()
  @IsString({ each: true })
  noDecay: string[] = DEFAULT_NO_DECAY_PATTERNS.filter((p): p is string => typeof p === 'string');
}
