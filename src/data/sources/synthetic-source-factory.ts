import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { HumanNumber, IsCount } from '../../config/human-number';
import { register } from '../../registry/register';
import { SourceConfig, SourceFactory } from '../source-factory';
import { DataSource } from './data-source';
import { SYNTHETIC_TASKS, SyntheticOutput, SyntheticSource, SyntheticTask } from './synthetic-source';

/** Config of the `synthetic` source: generated tasks, no download. */
export class SyntheticSourceConfig extends SourceConfig {
  /** Task: `addition` ("123+45=168") or `reverse` ("abc>cba"). */
  @IsIn(SYNTHETIC_TASKS as unknown as string[])
  task: SyntheticTask = 'addition';

  /** Examples generated. */
  @HumanNumber()
  @IsCount({ min: 1 })
  count = 10_000;

  /** Seed of the generator (default: the recipe's seed). */
  @IsOptional()
  @IsInt()
  @Min(0)
  seed?: number;

  /** Record shape: `pair` (prompt + completion, for exact-match eval), `text`, or `chat`. */
  @IsIn(['pair', 'text', 'chat'])
  output: SyntheticOutput = 'pair';

  /** addition: fewest digits per operand. */
  @IsInt()
  @Min(1)
  @Max(15)
  minDigits = 1;

  /** addition: most digits per operand. */
  @IsInt()
  @Min(1)
  @Max(15)
  maxDigits = 3;

  /** reverse: shortest string. */
  @IsInt()
  @Min(1)
  minLength = 1;

  /** reverse: longest string. */
  @IsInt()
  @Min(1)
  maxLength = 8;

  /** reverse: characters to draw from. */
  @IsString()
  alphabet = 'abcdefghijklmnopqrstuvwxyz';
}

/** Seeded generated tasks (addition, reverse). */
@register()
export class SyntheticSourceFactory extends SourceFactory<SyntheticSourceConfig> {
  static override readonly type: string = 'synthetic';
  static override readonly configType = SyntheticSourceConfig;

  createSource(): DataSource {
    const c = this.config;
    return new SyntheticSource({
      task: c.task,
      count: c.count,
      seed: c.seed ?? this.trainer.config.seed,
      output: c.output,
      minDigits: c.minDigits,
      maxDigits: c.maxDigits,
      minLength: c.minLength,
      maxLength: c.maxLength,
      alphabet: c.alphabet,
    });
  }
}
