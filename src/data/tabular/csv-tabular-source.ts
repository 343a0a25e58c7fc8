import { DataError } from '../../errors';
import { BadLines } from '../sources/bad-lines';
import { SettingHint, recipeSettingHint } from '../sources/setting-hint';
import { expandPaths } from '../sources/glob';
import { bindCsvHeader, checkRepeatedColumns, JSON_ROW } from './csv-header';
import { cellCountPlace, cellPlace, readCsvRecords } from './csv-records';
import { FileTabularSource } from './file-tabular-source';
import { FileColumnsOptions, RowReader } from './row-reader';
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
 * span lines). Blank lines are skipped. A header without a configured column stops the read; rows of the wrong width and
 * non-numeric cells are gathered into one {@link DataError}, each at file:line:col.
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
          const location = `${file}:${line}`;
          bindCsvHeader(header, { delimiter, settingHint: this.options.settingHint ?? recipeSettingHint(this.options.configPath), bind: (h) => reader.bindColumns(h, location, 'the header') });
          checkRepeatedColumns(header, [...reader.featureNames, ...reader.targetNames], location);
          index = new Map(header.map((name, i) => [name, i]));
          continue;
        }
        const width = header.length;
        const row = bad.attempt(() => {
          if (cells.length !== width) throw new DataError(`${file}:${cellCountPlace(record, width)}: expected ${width} cells like the header, got ${cells.length}`);
          return reader.read((column) => cells[index.get(column) ?? -1], { file, line }, (column) => `${file}:${cellPlace(record, index.get(column) ?? -1)}`);
        });
        if (row !== undefined && !bad.found) yield row;
      }
      if (header === undefined) throw new DataError(`${file}: the file is empty; expected a header row naming the columns`);
    }
    bad.finish();
  }
}
