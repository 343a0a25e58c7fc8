import * as path from 'path';
import { resolveCount } from '../config/human-number';
import { toPlainConfig } from '../config/to-plain';
import { ConfigError, DataError } from '../errors';
import type { Tokenizer } from '../tokenizer';
import { addBosAutoNote, resolveAddBos } from '../tokenizer/add-bos-setting';
import { chatHeaderProblem } from '../tokenizer/chat-template';
import { buildComponent } from '../trainer/build-components';
import type { Trainer } from '../trainer/trainer';
import { BatchIterator } from './batch-iterator';
import { DataLoaders } from './data-loader';
import { DataRecord } from './data-record';
import { LmBatch } from './lm-batch';
import { LmDataConfig } from './lm-data-config';
import { PrepareExamplesOptions, PrepareStats, prepareExamples } from './prepare-examples';
import { RecordArraySource } from './record-array-source';
import { SOURCE_KIND, SourceConfig, SourceFactory } from './source-factory';
import { EvalDataSummary, evalDataLabel, evalDataSettingHint, evalDataSources, withEvalDataPathErrors } from './eval-data';
import { JSONL_FILE_EXTENSIONS } from './sources/jsonl-format';
import { getRegistry } from '../registry/registries';
import type { ConfigClass } from '../config/component-config';
import { dropLastProblem, leftOutNote, splitNote } from './split-note';
import { withSourcePathErrors } from './source-path-errors';
import { mixSources, readSourceRecords, sourceMixLabel, sourceMixNote } from './source-mix';
import { trainEvalSplit } from './train-eval-split';

/** The source of a `--data` file when the recipe reads no files: `.jsonl`/`.ndjson` JSON lines (format auto), any other file text, one document per file. */
function defaultFileSource(file: string): SourceConfig {
  const type = JSONL_FILE_EXTENSIONS.some((e) => file.toLowerCase().endsWith(e)) ? 'jsonl' : 'text';
  // The config class through the registry: importing the sources here would change their registration order.
  const factory = getRegistry(SOURCE_KIND.name).get(type) as unknown as { configType: ConfigClass };
  return Object.assign(new factory.configType(), { type, paths: [file] });
}

/** Content identity of a record, for splitting. */
function recordKey(record: DataRecord): string {
  return record.kind === 'text' ? `t:${record.text}` : `c:${JSON.stringify(record.messages)}`;
}

/** A held-out prompt and the completion the model should produce. */
export interface GenerationExample {
  /** Text given to the model. */
  prompt: string;
  /** The expected continuation. */
  completion: string;
}

/** Loaders plus held-out prompts for exact-match evaluation. */
export interface LmDataLoaders extends DataLoaders<LmBatch> {
  /** Held-out prompt/completion pairs for exact-match accuracy. */
  evalGenerations: GenerationExample[];
}

/**
 * Reads every source, splits records into train/eval (before tokenizing, so eval records are
 * truly held out), tokenizes each split through the cached pipeline, and batches them.
 */
export async function buildLmData(
  trainer: Trainer,
  config: LmDataConfig,
  processing: Pick<PrepareExamplesOptions, 'mode' | 'packing' | 'remainder' | 'chat'>,
): Promise<LmDataLoaders> {
  const whole = trainer.context.evalData;
  const sourceConfigs = whole === undefined ? config.sources : evalDataSources(config.sources, whole, defaultFileSource).map((s) => s as SourceConfig);
  // A --data file's source is a copy of a recipe source: its errors name the --set that changes that one.
  const sources = sourceConfigs.map((s, i) => buildComponent<SourceFactory>(trainer, SOURCE_KIND, s).createSource(whole === undefined ? {} : { settingHint: evalDataSettingHint(config.sources, whole.paths[i]) }));
  const records: DataRecord[] = [];
  const sourceOf = new Map<DataRecord, number>();
  for (const [i, source] of sources.entries()) {
    const label = whole === undefined ? `data.sources[${i}] (${sourceConfigs[i].type})` : evalDataLabel(whole, i, sourceConfigs[i].type);
    // --data files are evaluated whole: no maxRecords there.
    const maxRecords = whole === undefined ? sourceConfigs[i].maxRecords : undefined;
    const read = async () => {
      const got = await readSourceRecords(source, maxRecords);
      for (const record of got.records) {
        records.push(record);
        sourceOf.set(record, i);
      }
      if (got.stopped) trainer.logger.info(`${label}: read the first ${got.records.length.toLocaleString('en-US')} records (maxRecords: ${maxRecords})`);
    };
    if (whole === undefined) await withSourcePathErrors(`data.sources[${i}]`, sourceConfigs[i], read);
    else await withEvalDataPathErrors(whole, i, read, { recipeSources: config.sources });
    const note = source.passNote?.();
    if (note !== undefined) trainer.logger.warn(`${label}: ${note}`);
    const info = source.passInfo?.();
    if (info !== undefined) trainer.logger.info(`${label}: ${info}`);
  }
  if (records.length === 0 && whole !== undefined) throw new DataError(`--data ${whole.paths.join(', ')} gave no records. Check that the files have content (empty and whitespace-only documents are skipped)`);
  if (records.length === 0) throw new DataError(`data.sources gave no records: ${describeSources(config)}. Check that the files have content (empty and whitespace-only documents are skipped)`);
  // Floe's role headers only matter to its own format; a Jinja template writes the model's.
  const floeChat = processing.chat?.template === undefined && records.some((r) => r.kind === 'chat');
  const headerProblem = floeChat ? chatHeaderProblem(trainer.tokenizer) : undefined;
  if (headerProblem !== undefined) throw new ConfigError([{ path: 'tokenizer', message: `${headerProblem} (the data has chat records)` }]);

  const seed = trainer.config.seed;
  const evalMax = config.evalMaxSamples === undefined || whole !== undefined ? undefined : resolveCount(config.evalMaxSamples, records.length);
  // Split by content so a record that repeats (small synthetic problem spaces) is never in both.
  // Whole files are evaluated record by record, copies included, in file order.
  const split = whole !== undefined ? { train: [], eval: records, leftOut: 0, repeats: 0 } : trainEvalSplit(records, { seed, ratios: config.trainEvalSplit, evalMaxSamples: evalMax, keyOf: recordKey });
  if (whole === undefined) {
    const note = splitNote(config.trainEvalSplit, { items: records.length, eval: split.eval.length, noun: 'records', byContent: true });
    if (note !== undefined) trainer.logger.warn(`data: ${note}`);
    const leftOut = leftOutNote({ leftOut: split.leftOut, repeats: split.repeats, noun: 'records', evalMaxSamples: evalMax });
    if (leftOut !== undefined) trainer.logger.info(`data: ${leftOut}`);
  }
  // Weights apply to the training records only, after the split: eval records count once.
  const mix = whole === undefined ? mixSources(split.train, { sources: config.sources, labels: config.sources.map(sourceMixLabel), sourceOf: (r) => sourceOf.get(r) ?? 0, seed }) : undefined;
  const mixNote = mix === undefined ? undefined : sourceMixNote(mix.entries);
  if (mixNote !== undefined) trainer.logger.info(mixNote);
  const trainRecords = mix?.train ?? split.train;
  const identity = { sources: await Promise.all(sources.map((s) => s.fingerprint())), seed, ratios: whole === undefined ? config.trainEvalSplit : 'whole', evalMax };
  // The weights are in dataConfig too; said here as well so the train entry's identity is its records'.
  const weights = mixNote === undefined ? {} : { weights: mix?.entries.map((e) => e.weight) };
  const cacheDir = config.cache ? path.resolve(config.cacheDir ?? path.join('.floe-cache', 'tokenized')) : undefined;
  const addBos = resolvedAddBos(trainer, config);
  // Keyed by what it resolved to: `auto` giving false hashes as `false` did (existing caches stay valid).
  const dataConfig = { ...(toPlainConfig(config) as Record<string, unknown>), addBos };
  let evalStats: PrepareStats | undefined;
  const prepare = async (part: DataRecord[], name: string) => {
    if (part.length === 0) return [];
    const { examples, stats } = await prepareExamples({
      ...processing,
      sources: [new RecordArraySource(part, { ...identity, split: name, ...(name === 'train' ? weights : {}) })],
      tokenizer: trainer.tokenizer,
      maxLength: config.maxLength,
      addBos,
      padToMultipleOf: processing.mode === 'sft' ? config.padToMultipleOf : 1,
      cacheDir,
      dataConfig,
    });
    if (name === 'eval') evalStats = stats;
    // floe evaluate --data reads whole files into the eval part: name them, not a split they are not.
    const what = whole !== undefined && name === 'eval' ? `--data ${whole.paths.join(', ')}` : `${name} split`;
    const cut = cutNote(stats, config.maxLength, (trainer.config.model as { from?: unknown } | undefined)?.from !== undefined);
    if (cut !== undefined && examples.length === 0 && name === 'train') {
      const error = new DataError(`data: the train split has no rows left: ${cut}`);
      // The run appends where the recipe sets data.maxLength.
      error.setting = 'data.maxLength';
      throw error;
    }
    // An emptied eval split costs the evaluation, not the run (as an eval split too small to hold any).
    if (cut !== undefined && examples.length === 0) trainer.logger.warn(`data: the ${what} has no rows left, so no evaluation runs: ${cut}`);
    else if (cut !== undefined) trainer.logger.warn(`data (${what}): ${cut}`);
    if (stats.unknown > 0) trainer.logger.warn(`data (${what}): ${unknownNote(stats, trainer.tokenizer)}`);
    if (stats.remainderDropped > 0) {
      const lost = `remainder: drop left out the last ${stats.remainderDropped} of ${stats.tokens} tokens (a window shorter than maxLength ${config.maxLength} + 1)`;
      const fix = 'Set data.remainder: keep, lower data.maxLength, or add data';
      if (examples.length === 0 && name === 'train') throw new DataError(`data: the train split has no rows: ${lost}. ${fix}`);
      if (examples.length === 0) trainer.logger.warn(`data: the ${what} has no rows, so no evaluation runs: ${lost}. ${fix}`);
      else trainer.logger.info(`data (${what}): ${lost}`);
    }
    return examples;
  };
  const trainExamples = await prepare(trainRecords, 'train');
  const tooFew = dropLastProblem({ trainCount: trainExamples.length, noun: 'rows', batchSize: trainer.config.microBatchSize, dropLast: config.dropLast });
  if (tooFew !== undefined && whole === undefined) throw tooFew;
  const evalExamples = await prepare(split.eval, 'eval');
  const common = { batchSize: trainer.config.microBatchSize, seed, padId: trainer.tokenizer.padId, padToMultipleOf: config.padToMultipleOf };
  const evalGenerations = split.eval
    .filter((r): r is Extract<DataRecord, { kind: 'text' }> => r.kind === 'text' && r.prompt !== undefined && r.completion !== undefined)
    .slice(0, config.evalGenerations)
    .map((r) => ({ prompt: r.prompt as string, completion: r.completion as string }));
  return {
    train: new BatchIterator({ ...common, examples: trainExamples, shuffle: config.shuffle, dropLast: config.dropLast }),
    eval: evalExamples.length === 0 ? undefined : new BatchIterator({ ...common, examples: evalExamples, shuffle: false }),
    evalSummary: { ...(whole === undefined ? {} : { files: [...whole.paths] }), ...evalCounts(split.eval.length, evalStats, config.maxLength) },
    evalGenerations,
  };
}

/**
 * `data.addBos` resolved against the run's tokenizer (`auto` → its rule), said once in the log when
 * `auto` adds bos, and written into the run's resolved recipe, so checkpoints record what training
 * did (generation prompts follow it even if the tokenizer's files change) and a resume compares
 * the value, not the word `auto`.
 */
function resolvedAddBos(trainer: Trainer, config: LmDataConfig): boolean {
  const addBos = resolveAddBos(config.addBos, trainer.tokenizer);
  const note = addBosAutoNote(config.addBos, trainer.tokenizer);
  if (note !== undefined) trainer.logger.info(note);
  const data = trainer.context.resolvedRecipe.data;
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) (data as Record<string, unknown>).addBos = addBos;
  return addBos;
}

/** What an evaluation covers: records without those dropped, and how many were cut or dropped at maxLength. */
function evalCounts(records: number, stats: PrepareStats | undefined, maxLength: number): EvalDataSummary {
  if (stats === undefined) return { records, tokens: 0 };
  const limited = stats.truncated > 0 || stats.dropped > 0;
  return {
    records: records - stats.dropped,
    tokens: stats.tokens,
    ...(stats.dropped > 0 ? { dropped: stats.dropped } : {}),
    ...(stats.truncated > 0 ? { cut: stats.truncated } : {}),
    ...(limited ? { maxLength } : {}),
  };
}

/**
 * What truncation and dropping did to a split's SFT conversations, or undefined when nothing was
 * lost. With `model.from` the model's positions are fixed, so only data.maxLength is named.
 */
function cutNote(stats: PrepareStats, maxLength: number, fromModel: boolean): string | undefined {
  if (stats.truncated === 0 && stats.dropped === 0) return undefined;
  const of = `of ${stats.records} conversation${stats.records === 1 ? '' : 's'}`;
  const parts = [];
  const were = (n: number): string => (n === 1 ? 'was' : 'were');
  if (stats.truncated > 0) parts.push(`${stats.truncated} ${of} ${were(stats.truncated)} longer than maxLength ${maxLength} tokens and ${were(stats.truncated)} cut`);
  if (stats.dropped > 0) {
    parts.push(`${stats.dropped} ${stats.truncated > 0 ? were(stats.dropped) : `${of} ${were(stats.dropped)}`} dropped with no trained token left (no assistant reply, or none within the first ${maxLength} tokens)`);
  }
  const raise = fromModel ? "Raise data.maxLength (at most the model.from model's positions)" : 'Raise data.maxLength (and model.maxLength)';
  return `${parts.join('; ')}. ${raise} or shorten the data`;
}

/** How much text the tokenizer could only write as its unknown token. */
function unknownNote(stats: PrepareStats, tokenizer: Tokenizer): string {
  const share = stats.tokens === 0 ? 0 : (100 * stats.unknown) / stats.tokens;
  const shown = share < 0.1 ? '<0.1' : share.toFixed(1);
  return `${stats.unknown} of ${stats.tokens} tokens (${shown}%) are the tokenizer's unknown token (id ${tokenizer.unkId}): its vocabulary lacks some characters of the text, the first in ${stats.firstUnknown ?? 'the data'}. The model cannot learn or write them; use a tokenizer that covers the text (or byte fallback), or clean the text`;
}

/** `data.sources[0] (text: t/a.txt), ...` for messages about what the sources gave. */
function describeSources(config: LmDataConfig): string {
  return config.sources
    .map((s, i) => {
      const paths = (s as { paths?: unknown }).paths;
      const shown = Array.isArray(paths) ? `: ${paths.join(', ')}` : typeof paths === 'string' ? `: ${paths}` : '';
      return `data.sources[${i}] (${s.type}${shown})`;
    })
    .join(', ');
}
