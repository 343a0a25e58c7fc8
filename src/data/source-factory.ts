import { ComponentConfig, ConfigClass } from '../config/component-config';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { DataSource } from './sources/data-source';
import type { SettingHint } from './sources/setting-hint';

/** Base config of data sources (items of a data section's `sources:` list). */
export class SourceConfig extends ComponentConfig {}

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
