import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { ComponentList } from '../config/component-list';
import { Count, HumanNumber, IsCount } from '../config/human-number';
import { DataConfig } from './data-factory';
import { SourceConfig } from './source-factory';

/** Settings shared by the language-model data factories (`causal`, `sft`). */
export class LmDataConfig extends DataConfig {
  /** Where records come from: a list of sources (`synthetic`, `text`, `jsonl`), read in order. */
  @ComponentList('source', { required: true })
  sources!: SourceConfig[];

  /** Tokens per training row (the model's context must be at least this long). */
  @HumanNumber()
  @IsCount({ min: 2 })
  maxLength = 128;

  /** Relative sizes of the train and eval splits, over distinct records (copies share a split), before tokenizing. */
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @IsNumber({}, { each: true })
  @Min(0, { each: true })
  @Max(1, { each: true })
  trainEvalSplit: [number, number] = [0.95, 0.05];

  /** Keep at most this many eval records (a count or a percentage of all records). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1, allowPercent: true })
  evalMaxSamples?: Count;

  /** Held-out prompt/completion records used for exact-match accuracy (synthetic tasks); 0 = off. */
  @HumanNumber()
  @IsCount()
  evalGenerations = 200;

  /** Shuffle training rows each epoch (the order is fixed by seed and epoch). */
  @IsBoolean()
  shuffle = true;

  /** Skip a last, smaller batch of each epoch. */
  @IsBoolean()
  dropLast = false;

  /** Put bos before each text record. */
  @IsBoolean()
  addBos = false;

  /** Round each batch's length up to a multiple of this (steadier shapes). */
  @HumanNumber()
  @IsCount({ min: 1 })
  padToMultipleOf = 1;

  /** Cache tokenized rows, keyed by a hash of data, settings and tokenizer. */
  @IsBoolean()
  cache = true;

  /** Cache folder (default `.floe-cache/tokenized` in the working directory). */
  @IsOptional()
  @IsString()
  cacheDir?: string;
}
