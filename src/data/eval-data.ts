import * as path from 'path';
import { DataError } from '../errors';
import { DataPathError } from './sources/glob';
import { JSONL_FILE_EXTENSIONS } from './sources/jsonl-format';
import { SettingHint, recipeSettingHint, setOptionHint } from './sources/setting-hint';

/** Data files evaluated whole (`floe evaluate --data`) instead of the recipe's eval split. */
export interface EvalDataFiles {
  /** Files, folders or globs, as given. */
  paths: string[];
  /** Folder the relative ones resolve against (the working directory). */
  cwd: string;
}

/** What an evaluation measured on: the files evaluated whole (if any), how many records and tokens. */
export interface EvalDataSummary {
  /** The `--data` paths evaluated whole, as given; absent for the recipe's eval split. */
  files?: string[];
  /** Records (rows of tabular data) evaluated: those `dropped` are not counted. */
  records: number;
  /** Tokens of the records, as tokenized, before any was cut to `maxLength` (language-model data). */
  tokens?: number;
  /** sft: records left out with nothing to evaluate within `maxLength` tokens (no assistant reply there). */
  dropped?: number;
  /** sft: records longer than `maxLength` tokens, evaluated on their first `maxLength` only. */
  cut?: number;
  /** The data's `maxLength`, when records were cut or dropped. */
  maxLength?: number;
}

/** File name endings a source type reads from a folder; a path ending in one picks a source of that type. */
const TYPE_EXTENSIONS: Record<string, readonly string[]> = { jsonl: JSONL_FILE_EXTENSIONS, csv: ['.csv', '.tsv'] };

/** What a source of each type reads, for a --data file of another kind. */
const TYPE_CONTENTS: Record<string, string> = { jsonl: 'JSON Lines, one object per line', csv: 'CSV, a header row naming the columns, then rows', text: 'plain text' };

/** The recipe source type whose files end like `file` (`text` for any other ending). */
function typeOfPath(file: string): string {
  const lower = file.toLowerCase();
  return Object.keys(TYPE_EXTENSIONS).find((type) => TYPE_EXTENSIONS[type].some((e) => lower.endsWith(e))) ?? 'text';
}

/**
 * The sources that read `files` for an evaluation, one per path: a copy of the recipe's first
 * source that reads files (has `paths`) of the path's type (`.jsonl`/`.ndjson` a `jsonl` source,
 * `.csv`/`.tsv` a `csv` one, other names a `text` one), else of its first file source, keeping its
 * settings (format, fields, columns, ...) with the path in place of its `paths`. A recipe with no
 * file source (synthetic data) takes `fallback`'s source for the path, or undefined when none.
 */
export function evalDataSources<S extends object>(recipeSources: readonly S[], files: EvalDataFiles, fallback: (file: string) => S | undefined): Array<S | undefined> {
  return files.paths.map((given) => {
    const file = path.resolve(files.cwd, given);
    const index = evalDataTemplateIndex(recipeSources, given);
    const template = index === undefined ? undefined : recipeSources[index];
    if (template === undefined) return fallback(file);
    return Object.assign(Object.create(Object.getPrototypeOf(template) as object) as S, template, { paths: [file] });
  });
}

/**
 * Index in `recipeSources` of the source whose settings read `--data` path `given` (see
 * {@link evalDataSources}): the first file source of the path's type, else the first file source;
 * undefined when the recipe has no file source.
 */
export function evalDataTemplateIndex(recipeSources: readonly object[], given: string): number | undefined {
  const withPaths = recipeSources.map((s, i) => ({ s, i })).filter(({ s }) => Array.isArray((s as { paths?: unknown }).paths));
  return (withPaths.find(({ s }) => (s as { type?: string }).type === typeOfPath(given)) ?? withPaths[0])?.i;
}

/**
 * How errors about `--data` path `given` say to change a reading setting: the `--set` of the recipe
 * source whose settings read it (`add --set 'data.sources[0].skipInvalid=true'`); for a recipe that
 * reads no files (the path is read with a source's defaults), a setting of a source to add to it.
 */
export function evalDataSettingHint(recipeSources: readonly object[], given: string): SettingHint {
  const index = evalDataTemplateIndex(recipeSources, given);
  if (index !== undefined) return setOptionHint(`data.sources[${index}]`);
  return recipeSettingHint(`a ${typeOfPath(given)} source in the recipe (this recipe reads no files, so --data files are read with a source's defaults; with one, they are read with its settings)`);
}

/** `--data test.jsonl (jsonl)`: the source of an evaluation's data file `i`, for messages. */
export function evalDataLabel(files: EvalDataFiles, i: number, type: string): string {
  return `--data ${files.paths[i]} (${type})`;
}

/**
 * ` --data table.csv is read with the settings of data.sources[0] (jsonl: JSON Lines, one object
 * per line), as the recipe has no csv source.`: for a `--data` path whose kind (by its name) no
 * recipe source reads; empty otherwise.
 */
export function evalDataKindNote(recipeSources: readonly object[], given: string): string {
  const index = evalDataTemplateIndex(recipeSources, given);
  const type = index === undefined ? undefined : (recipeSources[index] as { type?: string }).type;
  const kind = typeOfPath(given);
  if (index === undefined || type === undefined || type === kind) return '';
  const contents = TYPE_CONTENTS[type] === undefined ? type : `${type}: ${TYPE_CONTENTS[type]}`;
  return ` --data ${given} is read with the settings of data.sources[${index}] (${contents}), as the recipe has no ${kind} source.`;
}

/** Options of {@link withEvalDataPathErrors}. */
export interface EvalDataErrorOptions {
  /** The recipe's data sources: a data error about a file of a kind none of them reads says which one read it. */
  recipeSources?: readonly object[];
}

/**
 * Runs `read`, a pass over the source of `--data` path `i`. A path that gives no files fails with
 * the message training gives for a recipe path, naming the path as given to `--data`; a file of a
 * kind no recipe source reads that fails to read says which source's settings read it.
 */
export async function withEvalDataPathErrors<T>(files: EvalDataFiles, i: number, read: () => Promise<T>, options: EvalDataErrorOptions = {}): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const note = options.recipeSources === undefined ? '' : evalDataKindNote(options.recipeSources, files.paths[i]);
    if (!(error instanceof DataPathError) && error instanceof DataError && note !== '') throw new DataError(`${error.message}${note}`, { cause: error });
    if (!(error instanceof DataPathError)) throw error;
    const given = files.paths[i];
    const file = path.resolve(files.cwd, given);
    const rest = error.message.startsWith(`${file}:`) ? error.message.slice(file.length) : `: ${error.message}`;
    throw new DataPathError(`--data ${given}${rest}`, given);
  }
}
