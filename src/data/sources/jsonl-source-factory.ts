import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, ValidateNested } from 'class-validator';
import { register } from '../../registry/register';
import { SourceConfig, SourceContext, SourceFactory } from '../source-factory';
import { DataSource } from './data-source';
import { JSONL_FORMATS, JsonlFormat } from './jsonl-format';
import { JsonlSource } from './jsonl-source';
import { PathList } from './paths-field';
import { IsPath } from '../../config/is-path';

/** Field names of JSONL records, where a dataset spells them differently. */
export class JsonlFieldsConfig {
  /** `text` format field. */
  @IsOptional() @IsString() @IsNotEmpty() text?: string;
  /** `chat` format field. */
  @IsOptional() @IsString() @IsNotEmpty() messages?: string;
  /** `prompt-response` prompt field. */
  @IsOptional() @IsString() @IsNotEmpty() prompt?: string;
  /** `prompt-response` response field. */
  @IsOptional() @IsString() @IsNotEmpty() response?: string;
  /** Optional system prompt field. */
  @IsOptional() @IsString() @IsNotEmpty() system?: string;
  /** `alpaca` instruction field. */
  @IsOptional() @IsString() @IsNotEmpty() instruction?: string;
  /** `alpaca` input field. */
  @IsOptional() @IsString() @IsNotEmpty() input?: string;
  /** `alpaca` output field. */
  @IsOptional() @IsString() @IsNotEmpty() output?: string;
}

/** Config of the `jsonl` source: one JSON record per line. */
export class JsonlSourceConfig extends SourceConfig {
  /** Files, folders (their .jsonl and .ndjson files) or globs, relative to the recipe; a single string is fine. */
  @PathList()
  @IsArray()
  @ArrayMinSize(1)
  @IsPath({ each: true })
  paths!: string[];

  /** Record shape: auto (per line: messages → chat, text → text, prompt + response → prompt-response, instruction + output → alpaca), text, chat (messages), prompt-response, alpaca. */
  @IsIn(JSONL_FORMATS as unknown as string[])
  format: JsonlFormat = 'auto';

  /** Field names, where they differ from the defaults. */
  @IsOptional()
  @ValidateNested()
  @Type(() => JsonlFieldsConfig)
  fields?: JsonlFieldsConfig;

  /** Skip malformed lines instead of failing (the run warns with how many and the first, with file:line). */
  @IsBoolean()
  skipInvalid = false;
}

/** JSONL records (text or chat), streamed line by line. */
@register()
export class JsonlSourceFactory extends SourceFactory<JsonlSourceConfig> {
  static override readonly type: string = 'jsonl';
  static override readonly configType = JsonlSourceConfig;

  createSource(context: SourceContext = {}): DataSource {
    const c = this.config;
    return new JsonlSource({ paths: c.paths, format: c.format, fields: c.fields, skipInvalid: c.skipInvalid, cwd: this.trainer.context.recipeDir, settingHint: context.settingHint });
  }
}
