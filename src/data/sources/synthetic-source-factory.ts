import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { HumanNumber, IsCount } from '../../config/human-number';
import { ConfigRule, isFiniteNumber } from '../../config/config-rule';
import { register } from '../../registry/register';
import { SourceConfig, SourceFactory } from '../source-factory';
import { DataSource } from './data-source';
import { SYNTHETIC_TASKS, SyntheticOutput, SyntheticSource, SyntheticTask } from './synthetic-source';

/** A `min…`/`max…` pair whose maximum is below its minimum (an empty range to draw from). */
function rangeProblem(c: SyntheticSourceConfig, min: 'minDigits' | 'minLength', max: 'maxDigits' | 'maxLength'): string | undefined {
  if (!isFiniteNumber(c[min]) || !isFiniteNumber(c[max]) || c[max] >= c[min]) return undefined;
  return `must be at least ${min} (${c[min]}), got ${c[max]}: the generator draws from ${min}..${max}`;
}

function alphabetProblem(c: SyntheticSourceConfig): string | undefined {
  if (typeof c.alphabet !== 'string') return undefined;
  if (c.alphabet.length === 0) return 'is empty: give the characters the reverse task draws from, e.g. abcdefghijklmnopqrstuvwxyz';
  if (c.alphabet.includes('>')) return `must not contain '>', which the reverse task writes after the string ("abc>cba"), got ${JSON.stringify(c.alphabet)}`;
  return undefined;
}

/** Config of the `synthetic` source: generated tasks, no download. */
export class SyntheticSourceConfig extends SourceConfig {
  /** Task: `addition` ("123+45=168"), `reverse` ("abc>cba"), or `addition-preference` (for `dpo` data: the correct sum chosen, a wrong one rejected). */
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

  /** addition: most digits per operand (at least minDigits). */
  @IsInt()
  @Min(1)
  @Max(15)
  @ConfigRule('digitRange', (c: SyntheticSourceConfig) => rangeProblem(c, 'minDigits', 'maxDigits'))
  maxDigits = 3;

  /** reverse: shortest string. */
  @IsInt()
  @Min(1)
  minLength = 1;

  /** reverse: longest string (at least minLength). */
  @IsInt()
  @Min(1)
  @ConfigRule('lengthRange', (c: SyntheticSourceConfig) => rangeProblem(c, 'minLength', 'maxLength'))
  maxLength = 8;

  /** reverse: characters to draw from (not `>`, which ends the prompt). */
  @IsString()
  @ConfigRule('alphabet', alphabetProblem)
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
