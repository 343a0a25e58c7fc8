import { ComponentConfig, ConfigClass } from '../config/component-config';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { DataSource } from './sources/data-source';

/** Base config of data sources (items of a data section's `sources:` list). */
export class SourceConfig extends ComponentConfig {}

/** Builds one data source: a stream of text or chat records. */
export abstract class SourceFactory<C extends SourceConfig = SourceConfig> extends Component<C> {
  static override readonly kind: string = 'source';
  static override readonly configType: ConfigClass = SourceConfig;
  /** Builds the source; relative paths resolve against the recipe's folder. */
  abstract createSource(): DataSource;
}

/** The data source kind, used inside data configs (`sources: [{ type: jsonl, path: ... }]`). */
export const SOURCE_KIND = defineComponentKind({
  name: 'source',
  label: 'data source',
  baseConfig: SourceConfig,
  requiredMethods: ['createSource'],
  synchronousMethods: ['createSource'],
});
