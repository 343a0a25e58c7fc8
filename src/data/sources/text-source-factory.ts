import { ArrayMinSize, IsArray, IsBoolean, IsIn } from 'class-validator';
import { register } from '../../registry/register';
import { SourceConfig, SourceFactory } from '../source-factory';
import { DataSource } from './data-source';
import { PathList } from './paths-field';
import { TextSource } from './text-source';
import { IsPath } from '../../config/is-path';

/** Config of the `text` source: plain text files. */
export class TextSourceConfig extends SourceConfig {
  /** Files, folders (every file under them) or globs (`data/*.txt`), relative to the recipe; a single string is fine. UTF-8 text; lines end in LF, CRLF or a lone CR. */
  @PathList()
  @IsArray()
  @ArrayMinSize(1)
  @IsPath({ each: true })
  paths!: string[];

  /** One document per `file` or per `line`. */
  @IsIn(['file', 'line'])
  unit: 'file' | 'line' = 'file';

  /** Skip empty or whitespace-only documents (the run log says how many). */
  @IsBoolean()
  skipEmpty = true;
}

/** Text files, one document per file or per line. */
@register()
export class TextSourceFactory extends SourceFactory<TextSourceConfig> {
  static override readonly type: string = 'text';
  static override readonly configType = TextSourceConfig;

  createSource(): DataSource {
    const c = this.config;
    return new TextSource({ paths: c.paths, unit: c.unit, skipEmpty: c.skipEmpty, cwd: this.trainer.context.recipeDir });
  }
}
