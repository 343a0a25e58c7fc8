import * as fs from 'fs/promises';
import * as tf from '@tensorflow/tfjs';
import { container as rootContainer } from 'tsyringe';
import { BackendName } from '../backend/backend-names';
import { initBackend } from '../backend/init-backend';
import { readExtraCheckpointFiles } from '../checkpoint/extra-checkpoint-files';
import { openCheckedCheckpoint } from '../checkpoint/checked-load';
import { MODEL_WEIGHTS_FILE } from '../checkpoint/checkpoint-layout';
import { readCheckpointRecipe } from '../checkpoint/checkpoint-recipe';
import { resolveCheckpointDir } from '../checkpoint/resolve-checkpoint-dir';
import { validateCheckpointRecipe } from '../checkpoint/validate-checkpoint-recipe';
import { formatOrigin, RecordOrigin } from '../data/data-record';
import { jsonErrorMessage, jsonErrorPosition } from '../data/json-position';
import { BadLines } from '../data/sources/bad-lines';
import { readLines } from '../data/sources/line-reader';
import { readCsvFeatureRows } from '../data/tabular/csv-feature-rows';
import { checkNumberRange, missingColumnProblem, parseNumberCell } from '../data/tabular/tabular-cells';
import { CheckpointError, DataError } from '../errors';
import { Logger } from '../logging/logger';
import { RunContext } from './run-context';
import { outputProbabilities } from './supervised-metrics';
import { SupervisedTrainer } from './supervised-trainer';
import { LanguageModelTrainer } from './lm-trainer';

/** One prediction, as `floe predict` prints it (a JSON object per input row). */
export type Prediction = Record<string, unknown>;

/** Options of {@link loadSupervisedPredictor}. */
export interface PredictorOptions {
  /** Backend to run on (default: the recipe's). */
  backend?: BackendName;
  /** Rows per forward pass. Default 1024. */
  batchSize?: number;
}

/**
 * A trained supervised model loaded from a checkpoint folder, with the normalization it was
 * trained with: raw feature rows in, predictions in the targets' own units out.
 */
export class SupervisedPredictor {
  constructor(
    /** The trainer holding the model, loss, schema and normalization (no data, no optimizer). */
    readonly trainer: SupervisedTrainer,
    private readonly batchSize = 1024,
  ) {}

  /** Feature column names, in the order rows must give them. */
  get featureNames(): string[] {
    return this.trainer.schema.featureNames;
  }

  /**
   * Predicts raw feature rows: regression `{ <target>: value }` (denormalized); classification
   * `{ <label>: id, className?, probabilities: [...] }`; binary `{ <target>: 0|1, ..., probabilities: {...} }`.
   */
  async predict(rows: readonly (readonly number[])[]): Promise<Prediction[]> {
    const out: Prediction[] = [];
    for (let start = 0; start < rows.length; start += this.batchSize) {
      const chunk = rows.slice(start, start + this.batchSize);
      const values = tf.tidy(() => {
        const x = tf.tensor2d(chunk.map((r) => [...r]), [chunk.length, this.featureNames.length]);
        const raw = this.trainer.predictRaw(x);
        return this.trainer.supervisedLoss.task === 'regression' ? raw : outputProbabilities(this.trainer.supervisedLoss, raw);
      });
      try {
        const data = (await values.array()) as number[][];
        out.push(...data.map((row) => this.format(row)));
      } finally {
        values.dispose();
      }
    }
    return out;
  }

  /** Frees the model and normalization tensors. */
  dispose(): void {
    this.trainer.model?.dispose();
    this.trainer.disposeNormalizers();
  }

  private format(row: number[]): Prediction {
    const { schema, supervisedLoss: loss } = this.trainer;
    const names = schema.targetNames;
    if (loss.task === 'regression') return Object.fromEntries(names.map((n, i) => [n, row[i]]));
    if (loss.task === 'classification') {
      const best = row.indexOf(Math.max(...row));
      if (schema.targetKind === 'values') return { class: names[best], probabilities: Object.fromEntries(names.map((n, i) => [n, row[i]])) };
      const named = schema.classNames?.[best];
      return { [names[0]]: best, ...(named === undefined ? {} : { className: named }), probabilities: row };
    }
    const decisions = Object.fromEntries(names.map((n, i) => [n, row[i] > 0.5 ? 1 : 0]));
    return { ...decisions, probabilities: Object.fromEntries(names.map((n, i) => [n, row[i]])) };
  }
}

/**
 * Loads a supervised model from a checkpoint folder (or the newest checkpoint of a run folder or
 * checkpoints folder): checks it as a resume does (manifest, files of one save, finite weights of
 * float dtypes, normalization matching the schema), validates the recipe
 * saved in it, starts the backend, builds the model from the saved schema (and topology) and
 * assigns the saved weights. Reads no training data.
 */
export async function loadSupervisedPredictor(checkpointDir: string, options: PredictorOptions = {}): Promise<SupervisedPredictor> {
  const dir = await resolveCheckpointDir(checkpointDir);
  // The checks a resume makes of the files it reads (no optimizer state here); a damaged
  // checkpoint's error names the newest intact one before it.
  const state = await openCheckedCheckpoint(dir, { tensorFiles: [MODEL_WEIGHTS_FILE] });
  // Relative paths resolve as for every loader and a resume: against the run's recipe folder.
  const { recipe, recipeDir } = await readCheckpointRecipe(dir, state);
  const resolved = await validateCheckpointRecipe(dir, recipe, recipeDir);
  if (!(resolved.trainerClass.prototype instanceof SupervisedTrainer) && (resolved.trainerClass as unknown) !== SupervisedTrainer) {
    // A language model's checkpoint is the usual mix-up: name the command that reads it.
    const isLanguageModel = resolved.trainerClass.prototype instanceof LanguageModelTrainer;
    const instead = isLanguageModel ? `; it is a language model: generate text from it with floe generate ${dir} --prompt "..."` : '';
    throw new CheckpointError(
      `${dir} was trained by trainer '${resolved.config.type}'; prediction from feature rows needs the checkpoint of a supervised trainer (type supervised, or a trainer extending it)${instead}`,
    );
  }
  const { config } = resolved;
  const backend = await initBackend({ name: options.backend ?? config.backend.name, threads: config.backend.threads });
  const logger = new Logger({ level: 'warn' });
  const context: RunContext = { container: rootContainer.createChildContainer(), logger, backend, outputDir: dir, recipeDir, resolvedRecipe: resolved.resolved };
  const TrainerClass = resolved.trainerClass as unknown as new (c: typeof config, ctx: RunContext) => SupervisedTrainer;
  const trainer = new TrainerClass(config, context);
  const files = await readExtraCheckpointFiles(dir, trainer.inferenceFiles);
  try {
    await trainer.setupForInference(dir, files);
  } catch (error) {
    trainer.model?.dispose();
    trainer.disposeNormalizers();
    throw error;
  }
  return new SupervisedPredictor(trainer, options.batchSize);
}

/** How `floe predict` reads its input file. */
export type FeatureRowsFormat = 'csv' | 'jsonl';

/** The input formats, for `--format`. */
export const FEATURE_ROWS_FORMATS: readonly FeatureRowsFormat[] = ['csv', 'jsonl'];

/** Options of {@link readFeatureRows}. */
export interface FeatureRowsOptions {
  /** Input format. Default: `csv` for `.csv` and `.tsv` files, else `jsonl`. */
  format?: FeatureRowsFormat;
  /** CSV cell separator. Default: a tab for `.tsv` files, else `,`. */
  delimiter?: string;
}

/** The format of `file`: the one given, else `csv` for `.csv`/`.tsv` names, else `jsonl`. */
export function featureRowsFormat(file: string, format?: FeatureRowsFormat): FeatureRowsFormat {
  if (format !== undefined) return format;
  return /\.(csv|tsv)$/i.test(file) ? 'csv' : 'jsonl';
}

/**
 * Reads feature rows from a JSONL or CSV file (see {@link featureRowsFormat}). JSONL: each line
 * an object keyed by the feature names (other keys are ignored) or an array of numbers in feature
 * order. CSV: read as the csv training source reads it, with a header row naming the columns
 * (other columns, such as the label, are ignored). One error lists the bad rows, each with
 * file:line and the column.
 */
export async function readFeatureRows(file: string, featureNames: readonly string[], options: FeatureRowsOptions = {}): Promise<number[][]> {
  await fs.access(file).catch(() => {
    throw new DataError(`${file}: input file not found`);
  });
  const csv = featureRowsFormat(file, options.format) === 'csv';
  const rows = csv ? await readCsvFeatureRows(file, featureNames, { delimiter: options.delimiter }) : await readJsonlFeatureRows(file, featureNames);
  // An empty answer to an empty file would pass for a run that predicted nothing by mistake.
  const empty = csv ? 'the file has a header and no rows' : 'the file is empty or only blank lines';
  if (rows.length === 0) throw new DataError(`${file}: no feature rows (${empty}); nothing to predict`);
  return rows;
}

async function readJsonlFeatureRows(file: string, featureNames: readonly string[]): Promise<number[][]> {
  const rows: number[][] = [];
  // Every bad row is reported at once, as the training sources do.
  const bad = new BadLines('input', 'Fix the rows; nothing was predicted.');
  for await (const [line, text] of readLines(file)) {
    bad.line(file, line);
    if (text.trim() === '') continue;
    const row = bad.attempt(() => parseFeatureRow(text, featureNames, { file, line }));
    if (row !== undefined) rows.push(row);
  }
  bad.finish();
  return rows;
}

function parseFeatureRow(text: string, featureNames: readonly string[], origin: RecordOrigin): number[] {
  const where = formatOrigin(origin);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const pos = jsonErrorPosition(text, error);
    // Say what a line must hold: a CSV file given as --input fails here on every line.
    const expected = `an object keyed by ${featureNames.join(', ')}, or an array of ${featureNames.length} number${featureNames.length === 1 ? '' : 's'}`;
    // A CSV file under another name: say how to read it as one.
    const csv = /^[^{[]/.test(text.trim()) && text.includes(',') ? '. For a CSV file with a header row, name it .csv or pass --format csv' : '';
    throw new DataError(`${where}${pos === undefined ? '' : `:${pos.col}`}: invalid JSON (expected ${expected}): ${jsonErrorMessage(error)}${csv}`);
  }
  const cell = (v: unknown, column: string): number => {
    const parsed = typeof v === 'number' ? checkNumberRange(v, column) : typeof v === 'string' ? parseNumberCell(v, column) : `column '${column}' has ${JSON.stringify(v)}, which is not a number`;
    if (typeof parsed === 'string') throw new DataError(`${where}: ${parsed}`);
    return parsed;
  };
  if (Array.isArray(value)) {
    if (value.length !== featureNames.length) throw new DataError(`${where}: expected ${featureNames.length} number${featureNames.length === 1 ? '' : 's'} (${featureNames.join(', ')}), got ${value.length}`);
    return value.map((v, i) => cell(v, featureNames[i]));
  }
  if (value === null || typeof value !== 'object') throw new DataError(`${where}: expected an object keyed by ${featureNames.join(', ')} or an array of numbers`);
  const obj = value as Record<string, unknown>;
  return featureNames.map((name) => {
    if (!(name in obj)) throw new DataError(missingColumnProblem({ column: name, role: 'feature', configPath: 'the trained model', available: Object.keys(obj), location: where, container: 'this row' }));
    return cell(obj[name], name);
  });
}
