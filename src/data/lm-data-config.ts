import { IsBoolean, IsOptional, registerDecorator, ValidationArguments } from 'class-validator';
import { ADD_BOS_SETTINGS } from '../tokenizer/add-bos-setting';
import { ComponentList } from '../config/component-list';
import { HumanNumber, IsCount } from '../config/human-number';
import { SplitDataConfig } from './split-data-config';
import { SourceConfig } from './source-factory';
import { IsPath } from '../config/is-path';
import { didYouMean } from '../errors';

/** Settings shared by the language-model data factories (`causal`, `sft`). */
export class LmDataConfig extends SplitDataConfig {
  /** Where records come from: a list of sources (`synthetic`, `text`, `jsonl`), read in order. */
  @ComponentList('source', { required: true })
  sources!: SourceConfig[];

  /** Tokens per training row (the model's context must be at least this long). */
  @HumanNumber()
  @IsCount({ min: 2 })
  maxLength = 128;

  /** Relative sizes of the train and eval splits, over distinct records (copies share a split), before tokenizing. */
  override trainEvalSplit: [number, number] = [0.95, 0.05];

  /** Held-out prompt/completion records used for exact-match accuracy (synthetic tasks); 0 = off. */
  @HumanNumber()
  @IsCount()
  evalGenerations = 200;

  /** Put bos before each text record: `auto` (the tokenizer's rule: an hf tokenizer's add_bos_token or post-processor; none for byte), true or false. */
  @IsAddBosSetting()
  addBos: 'auto' | boolean = 'auto';

  /** Round each batch's length up to a multiple of this (steadier shapes). */
  @HumanNumber()
  @IsCount({ min: 1 })
  padToMultipleOf = 1;

  /** Cache tokenized rows, keyed by a hash of data, settings and tokenizer. */
  @IsBoolean()
  cache = true;

  /** Cache folder (default `.floe-cache/tokenized` in the working directory). */
  @IsOptional()
  @IsPath()
  cacheDir?: string;
}

/**
 * What to write instead of a text `addBos` value, as boolean settings say it: a quoted boolean,
 * YAML 1.1's yes/no/on/off (text in the YAML 1.2 recipes are read as), or a typo of `auto`.
 */
function addBosHint(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (word === 'true' || word === 'false') return `Write ${word} without quotes: quoted, it is text.`;
  const yes = ['yes', 'y', 'on'].includes(word);
  if (yes || ['no', 'n', 'off'].includes(word)) return `Write ${yes ? 'true' : 'false'}: recipes are YAML 1.2, where '${value}' is text, not a boolean.`;
  return didYouMean(value, ['auto']).trim() || undefined;
}

/** `auto`, true or false. */
export function IsAddBosSetting(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isAddBosSetting',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { context: { hint: addBosHint } },
      validator: {
        validate: (value: unknown) => (ADD_BOS_SETTINGS as readonly unknown[]).includes(value),
        defaultMessage: (args: ValidationArguments) => `${args.property} must be auto (the tokenizer's rule), true or false, got ${JSON.stringify(args.value)}`,
      },
    });
  };
}
