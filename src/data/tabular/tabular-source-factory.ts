import { IsString, ValidateIf } from 'class-validator';
import { ComponentConfig, ConfigClass } from '../../config/component-config';
import { Component } from '../../registry/component';
import { defineComponentKind } from '../../registry/component-kind';
import type { SettingHint } from '../sources/setting-hint';
import { TabularSource } from './tabular-record';

/**
 * Base config of tabular data sources (items of the `tabular` data factory's `sources:` list).
 * Their registry is separate from the text sources', so `type: jsonl` names a tabular reader here
 * and a text/chat reader under `causal`/`sft` data.
 */
export class TabularSourceConfig extends ComponentConfig {}

/**
 * Makes `type` required on a tabular source config (a missing type would otherwise pick the
 * first registered source, and CSV and JSONL files are easy to mix up). Apply it to
 * `override type!: string` of each concrete config: class-validator lets a class's own
 * conditions replace inherited ones, not an intermediate base class's.
 */
export function RequiredSourceType(): PropertyDecorator {
  return (target: object, property: string | symbol) => {
    ValidateIf(() => true)(target, property);
    IsString({ message: "missing 'type': name the tabular source (csv, jsonl or synthetic-tabular)" })(target, property);
  };
}

/** Where a source sits in the recipe, for messages. */
export interface TabularSourceContext {
  /** Config path of the source, e.g. `data.sources[0]`. */
  configPath: string;
  /** How its errors say to change one of its settings (default: in the recipe, on `configPath`); `floe evaluate --data` names the `--set`. */
  settingHint?: SettingHint;
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
  synchronousMethods: ['createSource'],
});
