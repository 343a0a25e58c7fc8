import { IsIn, IsInt, IsNumber, IsOptional, IsPositive, Max, Min } from 'class-validator';
import { MAX_SEED } from '../../random/rng';
import { HumanNumber, IsCount } from '../../config/human-number';
import { register } from '../../registry/register';
import { SyntheticTabularSource, TABULAR_GENERATORS, TabularGenerator } from './synthetic-tabular-source';
import { TabularSource } from './tabular-record';
import { RequiredSourceType, TabularSourceConfig, TabularSourceFactory } from './tabular-source-factory';

/** Config of the `synthetic-tabular` source. */
export class SyntheticTabularSourceConfig extends TabularSourceConfig {
  /** Which reader; required. */
  @RequiredSourceType()
  override type!: string;

  /** `spirals` (classification: x, y → class) or `sine` (regression: x → sin x). */
  @IsIn(TABULAR_GENERATORS as unknown as string[])
  generator: TabularGenerator = 'spirals';

  /** Rows to generate. */
  @HumanNumber()
  @IsCount({ min: 1 })
  count = 1000;

  /** Standard deviation of the Gaussian noise (spirals: on the coordinates; sine: on y). */
  @IsNumber()
  @Min(0)
  noise = 0.05;

  /** spirals: number of arms, one class each. */
  @IsInt()
  @Min(2)
  classes = 3;

  /** spirals: turns each arm makes around the centre (more turns, harder task). */
  @IsPositive()
  turns = 1;

  /** Seed of the generated rows (default: the recipe's seed). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEED)
  seed?: number;
}

/** Generated tables (`spirals`, `sine`), so examples need no download. */
@register()
export class SyntheticTabularSourceFactory extends TabularSourceFactory<SyntheticTabularSourceConfig> {
  static override readonly type: string = 'synthetic-tabular';
  static override readonly configType = SyntheticTabularSourceConfig;

  createSource(): TabularSource {
    const c = this.config;
    return new SyntheticTabularSource({
      generator: c.generator,
      count: c.count,
      seed: c.seed ?? this.trainer.config.seed,
      noise: c.noise,
      classes: c.classes,
      turns: c.turns,
    });
  }
}
