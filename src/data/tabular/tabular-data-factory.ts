import { IsBoolean, IsInt, IsOptional, Min } from 'class-validator';
import { ComponentList } from '../../config/component-list';
import { resolveCount } from '../../config/human-number';
import { DataError } from '../../errors';
import { register } from '../../registry/register';
import { buildComponent } from '../../trainer/build-components';
import { DataFactory } from '../data-factory';
import { SplitDataConfig } from '../split-data-config';
import { DataLoaders } from '../data-loader';
import { formatOrigin } from '../data-record';
import { dropLastProblem, leftOutNote, splitNote } from '../split-note';
import { withSourcePathErrors } from '../source-path-errors';
import { evalDataSettingHint, evalDataSources, evalDataTemplateIndex, withEvalDataPathErrors } from '../eval-data';
import { trainEvalSplit } from '../train-eval-split';
import { computeColumnStats, NormalizationStats } from './normalization-stats';
import { TabularBatch } from './tabular-batch';
import { TabularLoader } from './tabular-loader';
import { TabularRecord, TabularSchema, TabularSource } from './tabular-record';
import { TABULAR_SOURCE_KIND, TabularSourceConfig, TabularSourceFactory } from './tabular-source-factory';

/** Config of `tabular` data: rows of numeric features and targets from CSV, JSONL or a generator. */
export class TabularDataConfig extends SplitDataConfig {
  /** Where rows come from: a list of tabular sources (`csv`, `jsonl`, `synthetic-tabular`), read in order. */
  @ComponentList('tabular-source', { required: true })
  sources!: TabularSourceConfig[];

  /** Relative sizes of the train and eval splits (a seeded random split of the rows). */
  override trainEvalSplit: [number, number] = [0.8, 0.2];

  /** Standardize features with the train split's mean and std (in the training loop, not the model). */
  @IsBoolean()
  normalizeFeatures = true;

  /** Standardize regression targets with the train split's mean and std; predictions are mapped back. */
  @IsBoolean()
  normalizeTargets = true;

  /** Number of classes of a label column (default: the source's class names, else the largest id + 1). */
  @IsOptional()
  @IsInt()
  @Min(2)
  numClasses?: number;
}

/** What the `tabular` data factory builds: loaders plus the columns and the normalization stats. */
export interface TabularDataLoaders extends DataLoaders<TabularBatch> {
  /** Columns and classes of the data. */
  schema: TabularSchema;
  /** Mean/std per feature and target column, computed on the train split only. */
  stats: NormalizationStats;
}

/**
 * Reads every source, splits rows into train/eval, computes normalization stats on the train
 * split only, and batches both splits. Normalization itself happens in the training loop.
 */
@register()
export class TabularDataFactory extends DataFactory<TabularDataConfig, TabularBatch> {
  static override readonly type: string = 'tabular';
  static override readonly configType = TabularDataConfig;

  async createDataLoaders(): Promise<TabularDataLoaders> {
    const c = this.config;
    const whole = this.trainer.context.evalData;
    const sourceConfigs = whole === undefined ? c.sources : evalDataSources(c.sources, whole, () => undefined).map((s) => s ?? noFileSource(c.sources));
    // A --data file's source is a copy of a recipe source: its errors name that one's settings, and the --set that changes them.
    const contextOf = (i: number) => (whole === undefined ? { configPath: `data.sources[${i}]` } : { configPath: `data.sources[${evalDataTemplateIndex(c.sources, whole.paths[i]) ?? i}]`, settingHint: evalDataSettingHint(c.sources, whole.paths[i]) });
    const sources = sourceConfigs.map((s, i) => buildComponent<TabularSourceFactory>(this.trainer, TABULAR_SOURCE_KIND, s).createSource(contextOf(i)));
    const schema = mergeColumns(sources);
    const records: TabularRecord[] = [];
    for (const [i, source] of sources.entries()) {
      const read = async () => {
        for await (const record of source.records()) records.push(record);
      };
      if (whole === undefined) await withSourcePathErrors(`data.sources[${i}]`, c.sources[i], read);
      else await withEvalDataPathErrors(whole, i, read, { recipeSources: c.sources });
    }
    const where = whole === undefined ? `data.sources gave no rows: ${describeSources(c.sources)}` : `--data ${whole.paths.join(', ')} gave no rows`;
    if (records.length === 0) throw new DataError(`${where}. Check that the files have data rows (a CSV file's header does not count; blank lines are skipped)`);
    if (schema.targetKind === 'class-id') schema.numClasses = countClasses(records, schema, c.numClasses);

    const seed = this.trainer.config.seed;
    // Whole files are evaluated row by row, in file order; the checkpoint gives the normalization.
    if (whole !== undefined) {
      const common = { targetKind: schema.targetKind, batchSize: this.trainer.config.microBatchSize, seed, shuffle: false };
      return { train: new TabularLoader({ ...common, records: [] }), eval: new TabularLoader({ ...common, records }), evalSummary: { files: [...whole.paths], records: records.length }, schema, stats: {} };
    }
    const evalMax = c.evalMaxSamples === undefined ? undefined : resolveCount(c.evalMaxSamples, records.length);
    const split = trainEvalSplit(records, { seed, ratios: c.trainEvalSplit, evalMaxSamples: evalMax });
    const note = splitNote(c.trainEvalSplit, { items: records.length, eval: split.eval.length, noun: 'rows' });
    if (note !== undefined) this.trainer.logger.warn(`data: ${note}`);
    const leftOut = leftOutNote({ leftOut: split.leftOut, repeats: split.repeats, noun: 'rows', evalMaxSamples: evalMax });
    if (leftOut !== undefined) this.trainer.logger.info(`data: ${leftOut}`);
    const tooFew = dropLastProblem({ trainCount: split.train.length, noun: 'rows', batchSize: this.trainer.config.microBatchSize, dropLast: c.dropLast });
    if (tooFew !== undefined) throw tooFew;
    const stats: NormalizationStats = {};
    if (c.normalizeFeatures) stats.features = computeColumnStats(split.train.map((r) => r.features), schema.featureNames);
    if (c.normalizeTargets && schema.targetKind === 'values') stats.targets = computeColumnStats(split.train.map((r) => r.targets), schema.targetNames);

    const common = { targetKind: schema.targetKind, batchSize: this.trainer.config.microBatchSize, seed };
    return {
      train: new TabularLoader({ ...common, records: split.train, shuffle: c.shuffle, dropLast: c.dropLast }),
      eval: split.eval.length === 0 ? undefined : new TabularLoader({ ...common, records: split.eval, shuffle: false }),
      evalSummary: { records: split.eval.length },
      schema,
      stats,
    };
  }
}

/** `--data` with a recipe that reads no files: its generator gives no columns to read a file by. */
function noFileSource(sources: readonly TabularSourceConfig[]): never {
  throw new DataError(`--data needs a csv or jsonl source in the recipe's data.sources to read the files' columns by (features, targets or label); it has ${sources.map((s) => s.type).join(', ')}`);
}

/** The sources' common columns (names from the first); sources must agree on counts and target kind. */
function mergeColumns(sources: readonly TabularSource[]): TabularSchema {
  const first = sources[0];
  sources.forEach((s, i) => {
    const same = s.featureNames.length === first.featureNames.length && s.targetNames.length === first.targetNames.length && s.targetKind === first.targetKind;
    if (!same) {
      const describe = (x: TabularSource) => `${x.featureNames.length} features and ${x.targetKind === 'class-id' ? 'a label column' : `${x.targetNames.length} target(s)`}`;
      throw new DataError(`data.sources[${i}] gives ${describe(s)}, but data.sources[0] gives ${describe(first)}; all sources must give the same columns`);
    }
  });
  return { featureNames: [...first.featureNames], targetNames: [...first.targetNames], targetKind: first.targetKind, classNames: first.classNames };
}

/** Number of classes of label rows; every id must be below it. */
function countClasses(records: readonly TabularRecord[], schema: TabularSchema, configured: number | undefined): number {
  const largest = records.reduce((m, r) => (r.targets[0] > m.targets[0] ? r : m), records[0]);
  const n = configured ?? schema.classNames?.length ?? largest.targets[0] + 1;
  if (largest.targets[0] >= n) {
    const why = configured !== undefined ? `data.numClasses is ${n}` : `classes lists ${n} names`;
    throw new DataError(`${formatOrigin(largest.origin)}: column '${schema.targetNames[0]}' has class id ${largest.targets[0]}, but ${why} (ids 0..${n - 1})`);
  }
  if (n < 2) throw new DataError(`column '${schema.targetNames[0]}' holds only class 0; classification needs at least 2 classes (set data.numClasses)`);
  return n;
}

/** `data.sources[0] (csv: a.csv, b.csv), ...` for messages about what the sources gave. */
function describeSources(sources: readonly TabularSourceConfig[]): string {
  return sources
    .map((s, i) => {
      const paths = (s as { paths?: unknown }).paths;
      return `data.sources[${i}] (${s.type}${Array.isArray(paths) ? `: ${paths.join(', ')}` : ''})`;
    })
    .join(', ');
}
