import { IsString, ValidateIf } from 'class-validator';
import { ComponentConfig, ConfigClass } from '../../config/component-config';
import { Component } from '../../registry/component';
import { defineComponentKind } from '../../registry/component-kind';
import { TabularSource } from './tabular-record';

/**
 * Base config of tabular data sources (items of the `tabular` data factory's `sources:` list).
 * Their registry is separate from the text sources', so `type: jsonl` names a tabular reader here
 * and a text/chat reader under `causal`/`sft` data.
 */
export class TabularSourceConfig extends ComponentConfig {
  /** Which reader: csv, jsonl or synthetic-tabular; required (the file formats look alike). */
  // ValidateIf replaces the base class's IsOptional: a tabular source must say what it reads.
  @ValidateIf(() => true)
  @IsString({ message: "missing 'type': name the tabular source (csv, jsonl or synthetic-tabular)" })
  override type!: string;
}

/** Where a source sits in the recipe, for messages. */
export interface TabularSourceContext {
  /** Config path of the source, e.g. `data.sources[0]`. */
  configPath: string;
}

/** Builds one tabular data source. */
export abstract class TabularSourceFactory<C extends TabularSourceConfig = TabularSourceConfig> extends Component<C> {
  static override readonly kind: string = 'tabular-source';
  static override readonly configType: ConfigClass = TabularSourceConfig;
  /** Builds the source; relative paths resolve against the recipe's folder. */
  abstract createSource(context: TabularSourceContext): TabularSource;
}

/** The tabular data source kind, used inside the `tabular` data config (`sources: [{ type: csv, ... }]`). */
export const TABULAR_SOURCE_KIND = defineComponentKind({
  name: 'tabular-source',
  label: 'tabular data source',
  baseConfig: TabularSourceConfig,
  requiredMethods: ['createSource'],
});
