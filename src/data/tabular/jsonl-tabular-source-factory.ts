import { register } from '../../registry/register';
import { columnOptions } from './csv-tabular-source-factory';
import { TabularFileSourceConfig } from './file-source-config';
import { JsonlTabularSource } from './jsonl-tabular-source';
import { TabularSource } from './tabular-record';
import { RequiredSourceType, TabularSourceContext, TabularSourceFactory } from './tabular-source-factory';

/** Config of the `jsonl` tabular source. */
export class JsonlTabularSourceConfig extends TabularFileSourceConfig {
  /** Which reader; required. */
  @RequiredSourceType()
  override type!: string;
}

/**
 * JSON Lines files of objects keyed by column: `features: [keys]` plus `targets: [keys]` or
 * `label: key`. (The text `jsonl` source of LM data is a different kind with its own registry.)
 */
@register()
export class JsonlTabularSourceFactory extends TabularSourceFactory<JsonlTabularSourceConfig> {
  static override readonly type: string = 'jsonl';
  static override readonly configType = JsonlTabularSourceConfig;

  createSource(context: TabularSourceContext): TabularSource {
    return new JsonlTabularSource({ ...columnOptions(this.config, context), paths: this.config.paths, cwd: this.trainer.context.recipeDir });
  }
}
