import { IsOptional, IsString } from 'class-validator';
import { ComponentList } from '../config/component-list';
import { HumanNumber, IsCount, resolveCount } from '../config/human-number';
import { DataError } from '../errors';
import { register } from '../registry/register';
import { addBosAutoNote, resolveAddBos } from '../tokenizer/add-bos-setting';
import { IsAddBosSetting } from './lm-data-config';
import { IsChatTemplateSetting, resolveChatTemplate } from './chat-template-setting';
import { DataFactory } from './data-factory';
import { DataLoaders } from './data-loader';
import { PairBatchIterator, PreferenceBatch } from './pair-batch-iterator';
import { PreferenceRecord } from './preference-record';
import { PreferenceExample, PreferenceRowStats, preferenceExamples } from './preference-rows';
import { readPreferenceJsonl, readPreferenceSource } from './preference-sources';
import { EvalDataFiles } from './eval-data';
import { SourceConfig } from './source-factory';
import { recipeSettingHint, setOptionHint } from './sources/setting-hint';
import { SplitDataConfig } from './split-data-config';
import { dropLastProblem, splitNote } from './split-note';
import { trainEvalSplit } from './train-eval-split';

/** Config of `dpo` data: preference pairs `{ prompt, chosen, rejected }`, two rows per pair. */
export class DpoDataConfig extends SplitDataConfig {
  /** Where pairs come from: `jsonl` sources (lines `{ prompt, chosen, rejected }`, strings or chat form) and `synthetic` with `task: addition-preference`. */
  @ComponentList('source', { required: true })
  sources!: SourceConfig[];

  /** Tokens per row (prompt + one response); a longer response loses its end, a pair whose prompt alone fills it is dropped. */
  @HumanNumber()
  @IsCount({ min: 2 })
  maxLength = 128;

  /** Put bos before string-form records: `auto` (the tokenizer's rule), true or false. */
  @IsAddBosSetting()
  addBos: 'auto' | boolean = 'auto';

  /** Round each batch's length up to a multiple of this. */
  @HumanNumber()
  @IsCount({ min: 1 })
  padToMultipleOf = 1;

  /** System prompt added to chat-form prompts without one; `{date}` becomes today's date. */
  @IsOptional()
  @IsString()
  systemPrompt?: string;

  /** How chat-form records are written: `floe`, `tokenizer` (the hf tokenizer's `chat_template`), or an inline Jinja template. */
  @IsChatTemplateSetting()
  chatTemplate = 'floe';

  /** Relative sizes of the train and eval splits, over distinct pairs, before tokenizing. */
  override trainEvalSplit: [number, number] = [0.95, 0.05];
}

/** Content identity of a pair, so a repeated pair never lands in both splits. */
function pairKey(r: PreferenceRecord): string {
  return JSON.stringify([r.prompt, r.chosen, r.rejected]);
}

/**
 * Preference data for the `dpo` trainer: reads pairs, splits them into train and eval by
 * content, tokenizes each pair into a chosen and a rejected row (loss on the response only) and
 * batches `microBatchSize` pairs (2 × microBatchSize rows) per batch. Not cached: pairs are
 * tokenized at every start.
 */
@register()
export class DpoDataFactory extends DataFactory<DpoDataConfig, PreferenceBatch> {
  static override readonly type: string = 'dpo';
  static override readonly configType = DpoDataConfig;

  async createDataLoaders(): Promise<DataLoaders<PreferenceBatch>> {
    const c = this.config;
    const t = this.trainer;
    const whole = t.context.evalData;
    if (whole !== undefined) return this.wholeFileLoaders(whole);
    const records: PreferenceRecord[] = [];
    for (const [i, source] of c.sources.entries()) {
      const onSkipped = (note: string): void => t.logger.warn(`data.sources[${i}]: ${note}`);
      const read = await readPreferenceSource(source, { path: `data.sources[${i}]`, cwd: t.context.recipeDir, seed: t.config.seed, onSkipped });
      records.push(...(source.maxRecords === undefined ? read : read.slice(0, source.maxRecords)));
    }
    const same = samePairNote(records);
    if (same !== undefined) t.logger.warn(`data: ${same}`);
    if (records.length === 0) throw new DataError(`data.sources gave no preference pairs (${c.sources.map((s, i) => `data.sources[${i}] (${s.type})`).join(', ')}). Check that the files have lines { prompt, chosen, rejected }`);
    const evalMax = c.evalMaxSamples === undefined ? undefined : resolveCount(c.evalMaxSamples, records.length);
    const split = trainEvalSplit(records, { seed: t.config.seed, ratios: c.trainEvalSplit, evalMaxSamples: evalMax, keyOf: pairKey });
    const note = splitNote(c.trainEvalSplit, { items: records.length, eval: split.eval.length, noun: 'pairs', byContent: true });
    if (note !== undefined) t.logger.warn(`data: ${note}`);
    const rows = this.rowMaker();
    const train = rows(split.train, 'train split');
    if (train.length === 0) {
      const error = new DataError(`data: the train split has no preference pairs left (${split.train.length} read, all dropped at maxLength ${c.maxLength}). Raise data.maxLength (and model.maxLength) or shorten the prompts`);
      error.setting = 'data.maxLength';
      throw error;
    }
    const tooFew = dropLastProblem({ trainCount: train.length, noun: 'pairs', batchSize: t.config.microBatchSize, dropLast: c.dropLast });
    if (tooFew !== undefined) throw tooFew;
    const evalRows = rows(split.eval, 'eval split');
    const common = { batchSize: t.config.microBatchSize, seed: t.config.seed, padId: t.tokenizer.padId, padToMultipleOf: c.padToMultipleOf };
    return {
      train: new PairBatchIterator({ ...common, examples: train, shuffle: c.shuffle, dropLast: c.dropLast }),
      eval: evalRows.length === 0 ? undefined : new PairBatchIterator({ ...common, examples: evalRows, shuffle: false }),
      evalSummary: { records: evalRows.length, tokens: tokenCount(evalRows) },
    };
  }

  /**
   * `floe evaluate --data`: every pair of the files, as jsonl lines `{ prompt, chosen, rejected }`
   * (with the recipe's first jsonl source's skipInvalid), no split, no shuffling; nothing to train.
   */
  private async wholeFileLoaders(whole: EvalDataFiles): Promise<DataLoaders<PreferenceBatch>> {
    const t = this.trainer;
    const label = `--data ${whole.paths.join(', ')}`;
    const index = this.config.sources.findIndex((s) => s.type === 'jsonl');
    const jsonl = index < 0 ? undefined : (this.config.sources[index] as SourceConfig & { skipInvalid?: boolean });
    // Its files are read with that source's skipInvalid, changed on the command line with --set.
    const settingHint = index < 0 ? recipeSettingHint('a jsonl source in the recipe (--data files are read with the first one\'s skipInvalid)') : setOptionHint(`data.sources[${index}]`);
    const records = await readPreferenceJsonl(whole.paths, { cwd: whole.cwd, skipInvalid: jsonl?.skipInvalid === true, onSkipped: (note) => t.logger.warn(`${label}: ${note}`), settingHint });
    if (records.length === 0) throw new DataError(`${label} gave no preference pairs. Check that the files have lines { prompt, chosen, rejected }`);
    const same = samePairNote(records);
    if (same !== undefined) t.logger.warn(`${label}: ${same}`);
    const evalRows = this.rowMaker()(records, label);
    const common = { batchSize: t.config.microBatchSize, seed: t.config.seed, padId: t.tokenizer.padId, padToMultipleOf: this.config.padToMultipleOf };
    return {
      train: new PairBatchIterator({ ...common, examples: [], shuffle: false }),
      eval: evalRows.length === 0 ? undefined : new PairBatchIterator({ ...common, examples: evalRows, shuffle: false }),
      evalSummary: { files: [...whole.paths], records: evalRows.length, tokens: tokenCount(evalRows) },
    };
  }

  /** Tokenizes pairs into rows with the data settings, warning (naming `what`) about cut and dropped pairs. */
  private rowMaker(): (part: PreferenceRecord[], what: string) => PreferenceExample[] {
    const c = this.config;
    const t = this.trainer;
    const addBos = resolveAddBos(c.addBos, t.tokenizer);
    const bosNote = addBosAutoNote(c.addBos, t.tokenizer);
    if (bosNote !== undefined) t.logger.info(bosNote);
    const template = resolveChatTemplate(c.chatTemplate, t.tokenizer, t.config.tokenizer.type);
    return (part, what) => {
      const { examples, stats } = preferenceExamples(part, { tokenizer: t.tokenizer, maxLength: c.maxLength, addBos, chat: { systemPrompt: c.systemPrompt, template } });
      const cut = cutNote(stats, c.maxLength);
      if (cut !== undefined) t.logger.warn(`data (${what}): ${cut}`);
      return examples;
    };
  }
}

/** Tokens of both rows of every pair. */
function tokenCount(rows: readonly PreferenceExample[]): number {
  return rows.reduce((n, p) => n + p.chosen.inputIds.length + p.rejected.inputIds.length, 0);
}

/** What maxLength did to a split's pairs, or undefined when nothing was lost. */
export function cutNote(stats: PreferenceRowStats, maxLength: number): string | undefined {
  if (stats.truncated === 0 && stats.dropped === 0) return undefined;
  const parts: string[] = [];
  if (stats.truncated > 0) parts.push(`${stats.truncated} of ${stats.pairs} pairs had a response cut at its end to fit maxLength ${maxLength}`);
  if (stats.dropped > 0) parts.push(`${stats.dropped} of ${stats.pairs} pairs were dropped: the prompt alone leaves no response token within maxLength ${maxLength}`);
  return `${parts.join('; ')}. Raise data.maxLength (and model.maxLength) or shorten the data`;
}

/**
 * Pairs whose chosen and rejected responses are the same, counted with the first's file:line: such
 * a pair gives no gradient (its loss stays log 2) and a tie in rewards/accuracy, a data error
 * worth a word rather than a refusal (TRL accepts them silently).
 */
export function samePairNote(records: readonly PreferenceRecord[]): string | undefined {
  const same = records.filter((r) => JSON.stringify(r.chosen) === JSON.stringify(r.rejected));
  if (same.length === 0) return undefined;
  const { file, line } = same[0].origin;
  const has = same.length === 1 ? 'has' : 'have';
  return `${same.length} of ${records.length} pair${records.length === 1 ? '' : 's'} ${has} the same chosen and rejected response (the first at ${file}:${line}): such a pair teaches nothing (its loss stays log 2 = 0.693, its gradient 0) and counts as wrong in rewards/accuracy. Fix or remove them`;
}
