import { DataError } from '../../errors';
import { BadLines } from '../sources/bad-lines';
import { SettingHint, recipeSettingHint } from '../sources/setting-hint';
import { expandPaths } from '../sources/glob';
import { cellPlace, readCsvRecords } from './csv-records';
import { FileTabularSource } from './file-tabular-source';
import { FileColumnsOptions, RowReader } from './row-reader';
import { parseNumberCell } from './tabular-cells';
import { TabularRecord } from './tabular-record';

/** What a folder path stands for: its files with these endings. */
const FOLDER_EXTENSIONS = ['.csv', '.tsv'];

/** Options of {@link CsvTabularSource}. */
export interface CsvTabularSourceOptions extends FileColumnsOptions {
  /** Files, folders or glob patterns of CSV files, each with a header row. */
  paths: string[];
  /** Cell separator. Default: a tab for `.tsv` files, else `,`. */
  delimiter?: string;
  /** Folder relative paths are resolved against. Default `process.cwd()`. */
  cwd?: string;
  /** How errors say to change a setting (delimiter). Default: `set delimiter: ";" on <configPath>`. */
  settingHint?: SettingHint;
}

/**
 * CSV files with a header row naming the columns, streamed record by record (a quoted cell may
 * span lines). Blank lines are skipped. A header without a configured column stops the read; short rows and non-numeric cells
 * are gathered into one {@link DataError} naming each file:line and column.
 */
export class CsvTabularSource extends FileTabularSource<CsvTabularSourceOptions> {
  async *records(): AsyncIterable<TabularRecord> {
    const reader = new RowReader(this.options);
    const bad = new BadLines('CSV', 'Fix the data.');
    for (const file of await expandPaths(this.options.paths, { cwd: this.options.cwd, folderExtensions: FOLDER_EXTENSIONS })) {
      const delimiter = this.options.delimiter ?? (file.toLowerCase().endsWith('.tsv') ? '\t' : ',');
      let header: string[] | undefined;
      let index = new Map<string, number>();
      for await (const record of readCsvRecords(file, delimiter, (at) => bad.line(file, at))) {
        const { line, cells } = record;
        if (!Array.isArray(cells)) {
          const error = new DataError(`${file}:${line}:${cells.col}: ${cells.message}`);
          // Without a header no row can be read: stop there.
          if (header === undefined) throw record.text?.trimStart().startsWith('{') === true ? new DataError(`${error.message}. ${JSON_ROW}`) : error;
          bad.add(error);
          continue;
        }
        if (header === undefined) {
          header = cells.map((c) => c.trim());
          bindHeader(reader, header, `${file}:${line}`, { delimiter, settingHint: this.options.settingHint ?? recipeSettingHint(this.options.configPath) });
          checkRepeatedColumns(header, [...reader.featureNames, ...reader.targetNames], `${file}:${line}`);
          index = new Map(header.map((name, i) => [name, i]));
          continue;
        }
        const width = header.length;
        const row = bad.attempt(() => {
          if (cells.length !== width) throw new DataError(`${file}:${line}: expected ${width} cells like the header, got ${cells.length}`);
          return reader.read((column) => cells[index.get(column) ?? -1], { file, line }, (column) => `${file}:${cellPlace(record, index.get(column) ?? -1)}`);
        });
        if (row !== undefined && !bad.found) yield row;
      }
      if (header === undefined) throw new DataError(`${file}: the file is empty; expected a header row naming the columns`);
    }
    bad.finish();
  }
}

const JSON_ROW = 'The first row is a JSON object: for JSON Lines use a jsonl source.';

/** Separators files use instead of the configured one, to explain a header read as one cell. */
const OTHER_DELIMITERS: Array<[string, string]> = [
  ['\t', 'a tab ("\\t")'],
  [';', "';'"],
  ['|', "'|'"],
  [',', "','"],
];

/** Binds the header's columns; a header read as one cell holding another separator says which to set. */
function bindHeader(reader: RowReader, header: readonly string[], location: string, options: { delimiter: string; settingHint: SettingHint }): void {
  try {
    reader.bindColumns(header, location, 'the header');
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    if (header[0]?.startsWith('{')) throw new DataError(`${error.message} ${JSON_ROW}`);
    // A first row of numbers is data: the file has no header.
    if (header.every((cell) => typeof parseNumberCell(cell, '') === 'number')) {
      throw new DataError(`${error.message} The first row holds only numbers, so it looks like data: a CSV file needs a header row naming its columns first.`);
    }
    const other = header.length === 1 ? OTHER_DELIMITERS.find(([d]) => d !== options.delimiter && header[0].includes(d)) : undefined;
    if (other === undefined) throw error;
    const shown = options.delimiter === '\t' ? 'a tab' : `'${options.delimiter}'`;
    throw new DataError(`${error.message} The header is one cell split at ${shown}, but it holds ${other[1]}: if that separates the columns, ${options.settingHint('delimiter', JSON.stringify(other[0]))}.`);
  }
}

/** A column read by name must appear once in the header: with two, which one is meant is a guess. */
function checkRepeatedColumns(header: readonly string[], used: readonly string[], location: string): void {
  for (const name of new Set(used)) {
    const cells = header.flatMap((h, i) => (h === name ? [i + 1] : []));
    if (cells.length > 1) throw new DataError(`${location}: column '${name}' appears ${cells.length} times in the header (cells ${cells.join(', ')}); rename all but one`);
  }
}
