import { DataError } from '../../errors';
import { jsonErrorMessage, jsonErrorPosition, jsonValueOffset } from '../json-position';
import { BadLines } from '../sources/bad-lines';
import { expandPaths } from '../sources/glob';
import { JSONL_FILE_EXTENSIONS, wholeJsonHint } from '../sources/jsonl-format';
import { readLinesOrErrors } from '../sources/line-reader';
import { FileTabularSource } from './file-tabular-source';
import { FileColumnsOptions, RowReader } from './row-reader';
import { TabularRecord } from './tabular-record';

/** Options of {@link JsonlTabularSource}. */
export interface JsonlTabularSourceOptions extends FileColumnsOptions {
  /** Files, folders or glob patterns of `.jsonl` files, one JSON object per line. */
  paths: string[];
  /** Folder relative paths are resolved against. Default `process.cwd()`. */
  cwd?: string;
}

/**
 * JSON Lines files whose objects hold the columns as keys (`{"x1": 0.5, "x2": 3, "y": 1.2}`).
 * Blank lines are skipped. Malformed JSON, missing keys and non-numeric values are gathered into
 * one {@link DataError} naming each file:line and column.
 */
export class JsonlTabularSource extends FileTabularSource<JsonlTabularSourceOptions> {
  async *records(): AsyncIterable<TabularRecord> {
    const reader = new RowReader(this.options);
    const bad = new BadLines('JSONL', 'Fix the data.');
    for (const file of await expandPaths(this.options.paths, { cwd: this.options.cwd, folderExtensions: JSONL_FILE_EXTENSIONS })) {
      for await (const [line, text] of readLinesOrErrors(file)) {
        bad.line(file, line);
        if (typeof text === 'string' && text.trim() === '') continue;
        const record = bad.attempt(() => {
          if (text instanceof DataError) throw text;
          const row = parseJsonObject(text, file, line);
          reader.bindColumns(Object.keys(row), `${file}:${line}`, 'this record');
          const place = (column: string): string => {
            const offset = jsonValueOffset(text, [column]);
            return offset === undefined ? `${file}:${line}` : `${file}:${line}:${offset + 1}`;
          };
          return reader.read((column) => cellOf(row[column], column, place(column)), { file, line }, place);
        });
        if (record !== undefined && !bad.found) yield record;
      }
    }
    bad.finish();
  }
}

function parseJsonObject(text: string, file: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const pos = jsonErrorPosition(text, error);
    throw new DataError(`${file}:${line}${pos === undefined ? '' : `:${pos.col}`}: invalid JSON: ${jsonErrorMessage(error)}${wholeJsonHint(text, line, file)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(`${file}:${line}: expected a JSON object with the columns as keys, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}${wholeJsonHint(text, line)}`);
  }
  return value as Record<string, unknown>;
}

/** A JSON value as a cell: numbers as they are, strings for the cell parser; anything else is an error. */
function cellOf(value: unknown, column: string, place: string): string | number {
  if (typeof value === 'number' || typeof value === 'string') return value;
  throw new DataError(`${place}: column '${column}' has ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}, which is not a number`);
}
