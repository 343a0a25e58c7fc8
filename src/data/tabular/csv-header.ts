import { DataError } from '../../errors';
import { SettingHint } from '../sources/setting-hint';
import { parseNumberCell } from './tabular-cells';

/** What a CSV file whose first row is a JSON object should be read as. */
export const JSON_ROW = 'The first row is a JSON object: for JSON Lines use a jsonl source.';

/** Separators files use instead of the configured one, to explain a header read as one cell. */
const OTHER_DELIMITERS: Array<[string, string]> = [
  ['\t', 'a tab ("\\t")'],
  [';', "';'"],
  ['|', "'|'"],
  [',', "','"],
];

/** Options of {@link bindCsvHeader}. */
export interface BindCsvHeaderOptions {
  /** The separator the header was split at. */
  delimiter: string;
  /** How the error says to change the delimiter (a recipe setting, a CLI flag). */
  settingHint: SettingHint;
  /** Checks the header holds the columns the reader needs; throws a {@link DataError} naming the first missing one. */
  bind: (header: readonly string[]) => void;
  /** What to use for a file whose first row is a JSON object. Default: a jsonl source. */
  jsonRow?: string;
}

/**
 * Binds a CSV header's columns with `options.bind`; when that fails, says why the header may be
 * wrong: a JSON object (JSON Lines), a row of numbers (no header), or one cell holding another
 * separator (which delimiter to set). Shared by the training source and `floe predict`.
 */
export function bindCsvHeader(header: readonly string[], options: BindCsvHeaderOptions): void {
  try {
    options.bind(header);
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    if (header[0]?.startsWith('{')) throw new DataError(`${error.message} ${options.jsonRow ?? JSON_ROW}`);
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
export function checkRepeatedColumns(header: readonly string[], used: readonly string[], location: string): void {
  for (const name of new Set(used)) {
    const cells = header.flatMap((h, i) => (h === name ? [i + 1] : []));
    if (cells.length > 1) throw new DataError(`${location}: column '${name}' appears ${cells.length} times in the header (cells ${cells.join(', ')}); rename all but one`);
  }
}
