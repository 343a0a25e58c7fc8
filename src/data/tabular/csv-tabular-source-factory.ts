import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length } from 'class-validator';
import { register } from '../../registry/register';
import { CsvTabularSource } from './csv-tabular-source';
import { TabularFileSourceConfig } from './file-source-config';
import { TabularSource } from './tabular-record';
import { RequiredSourceType, TabularSourceContext, TabularSourceFactory } from './tabular-source-factory';

/** Config of the `csv` tabular source. */
export class CsvTabularSourceConfig extends TabularFileSourceConfig {
  /** Which reader; required. */
  @RequiredSourceType()
  override type!: string;

  /** Cell separator, one character (`,`, `;`, `|`, a tab written `"\t"` or `tab`). Default: a tab for .tsv files, else a comma. */
  // YAML reads '\t' in single quotes (and --set reads \t) as two characters: both mean a tab.
  @Transform(({ value }) => (value === 'tab' || value === '\\t' ? '\t' : value))
  @IsOptional()
  @IsString()
  @Length(1, 1, { message: 'must be one character, such as \',\', \';\', \'|\' or a tab ("\\t" or tab)' })
  delimiter?: string;
}

/** CSV files with a header row: `features: [cols]` plus `targets: [cols]` or `label: col`. */
@register()
export class CsvTabularSourceFactory extends TabularSourceFactory<CsvTabularSourceConfig> {
  static override readonly type: string = 'csv';
  static override readonly configType = CsvTabularSourceConfig;

  createSource(context: TabularSourceContext): TabularSource {
    const c = this.config;
    return new CsvTabularSource({ ...columnOptions(c, context), paths: c.paths, delimiter: c.delimiter, cwd: this.trainer.context.recipeDir, settingHint: context.settingHint });
  }
}

/** The column settings of a file source config, with its config path for messages. */
export function columnOptions(c: TabularFileSourceConfig, context: TabularSourceContext) {
  return { features: c.features, targets: c.targets, label: c.label, classes: c.classes, configPath: context.configPath };
}
