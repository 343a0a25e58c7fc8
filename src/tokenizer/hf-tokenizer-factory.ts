import * as fs from 'fs';
import * as path from 'path';
import { IsOptional, IsString } from 'class-validator';
import { ConfigError } from '../errors';
import { register } from '../registry/register';
import { HfTokenizer } from './hf-tokenizer';
import { Tokenizer } from './tokenizer';
import { TokenizerConfig, TokenizerFactory } from './tokenizer-factory';
import { IsPath } from '../config/is-path';

/** Config of the `hf` tokenizer: a local HuggingFace `tokenizer.json`. */
export class HfTokenizerConfig extends TokenizerConfig {
  /** Path to tokenizer.json or the folder holding it (relative to the recipe). */
  @IsPath()
  path!: string;

  /** Path to tokenizer_config.json or the folder holding it (default: next to tokenizer.json, if present). */
  @IsOptional()
  @IsPath()
  configPath?: string;

  /** Begin-of-sequence token string (overrides the config). */
  @IsOptional()
  @IsString()
  bosToken?: string;

  /** End-of-sequence token string (overrides the config). */
  @IsOptional()
  @IsString()
  eosToken?: string;

  /** Padding token string (overrides the config; falls back to eos). */
  @IsOptional()
  @IsString()
  padToken?: string;
}

/** Loads a HuggingFace tokenizer.json offline with @huggingface/tokenizers. */
@register()
export class HfTokenizerFactory extends TokenizerFactory<HfTokenizerConfig> {
  static override readonly type: string = 'hf';
  static override readonly configType = HfTokenizerConfig;

  async createTokenizer(): Promise<Tokenizer> {
    const dir = this.trainer.context.recipeDir;
    const c = this.config;
    // A path that is not there is a recipe mistake: say which setting, so the error can point at it.
    for (const [field, value] of [['path', c.path], ['configPath', c.configPath]] as const) {
      if (value !== undefined && !fs.existsSync(path.resolve(dir, value))) {
        const expected = field === 'path' ? 'a HuggingFace tokenizer.json or a folder holding one' : 'a tokenizer_config.json or a folder holding one';
        throw new ConfigError([{ path: `tokenizer.${field}`, message: `${value}: no such file or folder (resolved to ${path.resolve(dir, value)}); expected ${expected}` }]);
      }
    }
    const other = otherTokenizerFile(c.path);
    if (other !== undefined) throw new ConfigError([{ path: 'tokenizer.path', message: `${c.path}: ${other}` }]);
    const folder = path.resolve(dir, c.path);
    if (fs.statSync(folder).isDirectory() && !fs.existsSync(path.join(folder, 'tokenizer.json'))) {
      throw new ConfigError([{ path: 'tokenizer.path', message: `${c.path}: the folder (${folder}) has no tokenizer.json; name the file, or a folder holding a HuggingFace tokenizer.json` }]);
    }
    let configPath = c.configPath === undefined ? undefined : path.resolve(dir, c.configPath);
    if (configPath !== undefined && fs.statSync(configPath).isDirectory()) {
      const inner = path.join(configPath, 'tokenizer_config.json');
      if (!fs.existsSync(inner)) {
        throw new ConfigError([{ path: 'tokenizer.configPath', message: `${c.configPath}: the folder (${configPath}) has no tokenizer_config.json; name the file, or a folder holding one` }]);
      }
      configPath = inner;
    }
    return HfTokenizer.load({
      path: path.resolve(dir, c.path),
      configPath,
      bosToken: c.bosToken,
      eosToken: c.eosToken,
      padToken: c.padToken,
    });
  }
}

/** Files of a HuggingFace tokenizer folder that are not tokenizer.json, and what each is. */
const OTHER_TOKENIZER_FILES: Record<string, string> = {
  'vocab.txt': 'a WordPiece vocabulary',
  'vocab.json': 'a BPE vocabulary',
  'merges.txt': 'BPE merges',
  'tokenizer_config.json': 'tokenizer settings (give it as tokenizer.configPath)',
  'special_tokens_map.json': 'special token names',
  'added_tokens.json': 'added tokens',
};

/** Why `file` is not the tokenizer.json Floe reads, when its name says so; undefined otherwise. */
function otherTokenizerFile(file: string): string | undefined {
  const name = path.basename(file).toLowerCase();
  const what = OTHER_TOKENIZER_FILES[name] ?? (name.endsWith('.model') ? 'a SentencePiece model' : undefined);
  if (what === undefined) return undefined;
  return `this file is ${what}, not a tokenizer.json. Floe reads the single-file tokenizer.json of HuggingFace tokenizers: name it or its folder (from the older files, AutoTokenizer.from_pretrained(folder).save_pretrained(out) in Python writes one)`;
}
