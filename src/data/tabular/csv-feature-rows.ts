import { DataError } from '../../errors';
import { BadLines } from '../sources/bad-lines';
import { SettingHint } from '../sources/setting-hint';
import { bindCsvHeader, checkRepeatedColumns } from './csv-header';
import { cellCountPlace, cellPlace, readCsvRecords } from './csv-records';
import { missingColumnProblem, parseNumberCell } from './tabular-cells';

/** Options of {@link readCsvFeatureRows}. */
export interface CsvFeatureRowsOptions {
  /** Cell separator. Default: a tab for `.tsv` files, else `,` (as the csv training source). */
  delimiter?: string;
  /** How a header error says to change the delimiter. Default: `pass --delimiter ";"`. */
  settingHint?: SettingHint;
}

/**
 * Reads the feature columns of a CSV file for prediction, with the csv training source's rules:
 * a header row naming the columns, features looked up by name (other columns, the label or
 * targets among them, are ignored), quoted cells, every record as wide as the header. Bad rows
 * are gathered into one {@link DataError}, each at file:line:col. Returns the rows in file order,
 * each in `featureNames` order (empty when the file has a header and no rows).
 */
export async function readCsvFeatureRows(file: string, featureNames: readonly string[], options: CsvFeatureRowsOptions = {}): Promise<number[][]> {
  const delimiter = options.delimiter ?? (file.toLowerCase().endsWith('.tsv') ? '\t' : ',');
  const settingHint = options.settingHint ?? flagHint;
  const bad = new BadLines('input', 'Fix the rows; nothing was predicted.');
  const rows: number[][] = [];
  let header: string[] | undefined;
  let columns: number[] = [];
  for await (const record of readCsvRecords(file, delimiter, (at) => bad.line(file, at))) {
    const { line, cells } = record;
    if (!Array.isArray(cells)) {
      const error = new DataError(`${file}:${line}:${cells.col}: ${cells.message}`);
      // Without a header no row can be read: stop there.
      if (header === undefined) throw error;
      bad.add(error);
      continue;
    }
    if (header === undefined) {
      const names = cells.map((c) => c.trim());
      const location = `${file}:${line}`;
      bindCsvHeader(names, { delimiter, settingHint, bind: (h) => bindFeatures(h, featureNames, location), jsonRow: 'The first row is a JSON object: for JSON Lines name the file .jsonl or pass --format jsonl.' });
      checkRepeatedColumns(names, featureNames, location);
      header = names;
      columns = featureNames.map((name) => names.indexOf(name));
      continue;
    }
    const width = header.length;
    const row = bad.attempt(() => {
      if (cells.length !== width) {
        throw new DataError(`${file}:${cellCountPlace(record, width)}: expected ${width} cells like the header (${header?.join(', ')}), got ${cells.length}`);
      }
      return columns.map((index, i) => {
        const value = parseNumberCell(cells[index], featureNames[i]);
        if (typeof value === 'string') throw new DataError(`${file}:${cellPlace(record, index)}: ${value}`);
        return value;
      });
    });
    if (row !== undefined) rows.push(row);
  }
  if (header === undefined) throw new DataError(`${file}: the file is empty; expected a header row naming the columns (${featureNames.join(', ')})`);
  bad.finish();
  return rows;
}

/** A setting as a `floe predict` flag: `pass --delimiter ';'` (a tab written `'\t'`). */
function flagHint(setting: string, value: string): string {
  const text = JSON.parse(value) as string;
  return `pass --${setting} '${text === '\t' ? '\\t' : text}'`;
}

/** Every feature the model reads must be a header column; the error lists them all. */
function bindFeatures(header: readonly string[], featureNames: readonly string[], location: string): void {
  const missing = featureNames.filter((name) => !header.includes(name));
  if (missing.length === 0) return;
  const problem = missingColumnProblem({ column: missing[0], role: 'feature', configPath: 'the trained model', available: header, location, container: 'the header' });
  const others = missing.length > 1 ? ` Also missing: ${missing.slice(1).join(', ')}.` : '';
  throw new DataError(`${problem}${others} The model reads the features ${featureNames.join(', ')}.`);
}
