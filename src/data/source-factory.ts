import { IsNumber, IsOptional, IsPositive } from 'class-validator';
import { ComponentConfig, ConfigClass } from '../config/component-config';
import { HumanNumber, IsCount } from '../config/human-number';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { DataSource } from './sources/data-source';
import type { SettingHint } from './sources/setting-hint';

/** What a source's `weight` takes, for its validation message. */
const WEIGHT_RULE = 'weight must be a number > 0: how many times each training record of the source appears per epoch (0.5 keeps a seeded half, 2 takes each twice)';

/**
 * Base config of data sources (items of a data section's `sources:` list): the mix settings
 * every source kind has (see source-mix.ts).
 */
export class SourceConfig extends ComponentConfig {
  /** Times each of this source's training records appears per epoch (default 1): 2 = each twice, 0.5 = a seeded half, 2.5 = twice plus a seeded half. Eval records count once. */
  @IsOptional()
  @HumanNumber()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: WEIGHT_RULE })
  @IsPositive({ message: WEIGHT_RULE })
  weight?: number;

  /** Read at most this many records, the first in file order, before the train/eval split (default: all). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  maxRecords?: number;
}

/** What a source is built for, for its messages. */
export interface SourceContext {
  /**
   * How its errors say to change one of its settings: in the recipe (`floe train`, the default),
   * or with `--set` on the recipe source whose settings read `floe evaluate --data` files.
   */
  settingHint?: SettingHint;
}

/** Builds one data source: a stream of text or chat records. */
export abstract class SourceFactory<C extends SourceConfig = SourceConfig> extends Component<C> {
  static override readonly kind: string = 'source';
  static override readonly configType: ConfigClass = SourceConfig;
  /** Builds the source; relative paths resolve against the recipe's folder. */
  abstract createSource(context?: SourceContext): DataSource;
}

/** The data source kind, used inside data configs (`sources: [{ type: jsonl, path: ... }]`). */
export const SOURCE_KIND = defineComponentKind({
  name: 'source',
  label: 'data source',
  baseConfig: SourceConfig,
  requiredMethods: ['createSource'],
  synchronousMethods: ['createSource'],
});
