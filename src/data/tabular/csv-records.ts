import { readLines } from '../sources/line-reader';
import { CsvLineProblem, splitCsvLine } from './csv-line';

/** Most lines one record may span: a stray quote must not swallow the rest of a large file. */
export const MAX_RECORD_LINES = 1000;

/** One record of a CSV file: the line it starts on, and its cells or why they cannot be read. */
export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  /** Its cells, or why the record could not be split. */
  cells: string[] | CsvLineProblem;
  /** The record's text (its lines joined by `\n`) and each cell's offset in it, to place a cell. */
  text?: string;
  /** 0-based offset of each cell in `text`. */
  starts?: number[];
}

/** `line:col` of cell `index` of a record (a quoted cell may sit on a later line of the record). */
export function cellPlace(record: CsvRecord, index: number): string {
  const start = record.starts?.[index];
  if (record.text === undefined || start === undefined) return `${record.line}`;
  let line = record.line;
  let lineStart = 0;
  for (let nl = record.text.indexOf('\n'); nl >= 0 && nl < start; nl = record.text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return `${line}:${start - lineStart + 1}`;
}

/**
 * `line:col` of a record that is not `width` cells wide: its first extra cell, or just past its
 * last cell when cells are missing. Shared by the training source and `floe predict`.
 */
export function cellCountPlace(record: CsvRecord, width: number): string {
  const count = Array.isArray(record.cells) ? record.cells.length : 0;
  return count > width ? cellPlace(record, width) : endPlace(record);
}

/** `line:col` just past the end of a record (where a missing cell would go). */
function endPlace(record: CsvRecord): string {
  if (record.text === undefined) return `${record.line}`;
  const lines = record.text.split('\n');
  return `${record.line + lines.length - 1}:${lines[lines.length - 1].length + 1}`;
}

/**
 * Streams the records of a CSV file, skipping blank lines. A quoted cell may hold line breaks
 * (RFC 4180): its record then spans lines and is reported at the line it starts on. `onLine` is
 * called with every line read.
 */
export async function* readCsvRecords(file: string, delimiter: string, onLine?: (line: number) => void): AsyncGenerator<CsvRecord> {
  let open: { text: string; line: number; lines: number } | undefined;
  for await (const [line, text] of readLines(file)) {
    onLine?.(line);
    if (open === undefined && text.trim() === '') continue;
    const record = open === undefined ? { text, line, lines: 1 } : { text: `${open.text}\n${text}`, line: open.line, lines: open.lines + 1 };
    const starts: number[] = [];
    const cells = splitCsvLine(record.text, delimiter, starts);
    open = !Array.isArray(cells) && cells.unclosed === true && record.lines < MAX_RECORD_LINES ? record : undefined;
    if (open === undefined) yield { line: record.line, cells: unclosedAt(cells, `${MAX_RECORD_LINES} lines`), text: record.text, starts };
  }
  if (open !== undefined) yield { line: open.line, cells: unclosedAt(splitCsvLine(open.text, delimiter), 'the end of the file') };
}

/** Says where an unclosed quoted cell ran to. */
function unclosedAt(cells: string[] | CsvLineProblem, end: string): string[] | CsvLineProblem {
  if (Array.isArray(cells) || cells.unclosed !== true) return cells;
  return { ...cells, message: `quoted cell is not closed: it runs on to ${end} (a quote inside a quoted cell is written "")` };
}
