import { promises as fs } from 'fs';
import * as path from 'path';
import { DataRecord } from '../data-record';
import { DataSource } from './data-source';
import { expandPaths, fileStats } from './glob';
import { DataError } from '../../errors';
import { MAX_LINE_BYTES, fileReadError, readLines } from './line-reader';
import { decodeUtf8 } from './utf8-text';

// Endings of files that hold records rather than prose.
const RECORD_FILE = /\.(jsonl|ndjson|json|csv|tsv)$/i;

/** Options of {@link TextSource}. */
export interface TextSourceOptions {
  /** Files, folders or glob patterns (`data/*.txt`, `books/**\/*.md`). */
  paths: string[];
  /** One document per file (`file`, default) or per line (`line`). */
  unit?: 'file' | 'line';
  /** Skip documents that are empty or only whitespace. Default true. */
  skipEmpty?: boolean;
  /** Folder relative paths are resolved against. Default `process.cwd()`. */
  cwd?: string;
}

/** Plain text files as `text` records, in sorted path order. */
export class TextSource implements DataSource {
  private readonly options: Required<TextSourceOptions>;
  /** Documents yielded and empty ones skipped in the current (or last) pass. */
  private counts = { records: 0, skipped: 0 };
  /** Files of the last pass whose names say they hold records, not prose (`data.jsonl`). */
  private recordFiles: string[] = [];

  constructor(options: TextSourceOptions) {
    this.options = { unit: 'file', skipEmpty: true, cwd: process.cwd(), ...options };
  }

  /** Options plus size and mtime of every matched file. */
  async fingerprint(): Promise<unknown> {
    const { paths, unit, skipEmpty } = this.options;
    return { text: { paths, unit, skipEmpty }, files: await fileStats(await expandPaths(paths, this.options.cwd)) };
  }

  /** A warning when the last pass read JSON Lines or CSV files as plain text (their syntax is trained on). */
  passNote(): string | undefined {
    const [first] = this.recordFiles;
    if (first === undefined) return undefined;
    const more = this.recordFiles.length > 1 ? ` and ${this.recordFiles.length - 1} more` : '';
    return `${path.basename(first)}${more} read as plain text, JSON or CSV syntax and all: for their records use type: jsonl (or a tabular csv source); to train on the raw text, name the files by a text ending`;
  }

  /** How many empty documents `skipEmpty` left out of the last pass, if any. */
  passInfo(): string | undefined {
    const { records, skipped } = this.counts;
    if (skipped === 0) return undefined;
    const what = this.options.unit === 'line' ? 'line' : 'file';
    return `skipped ${skipped} empty or whitespace-only ${what}${skipped === 1 ? '' : 's'} (skipEmpty: true) and read ${records} document${records === 1 ? '' : 's'}`;
  }

  /** Yields one record per file or per line. */
  async *[Symbol.asyncIterator](): AsyncIterator<DataRecord> {
    const { unit, skipEmpty } = this.options;
    const counts = { records: 0, skipped: 0 };
    this.counts = counts;
    const files = await expandPaths(this.options.paths, this.options.cwd);
    this.recordFiles = files.filter((f) => RECORD_FILE.test(f));
    for (const file of files) {
      if (unit === 'line') {
        for await (const [line, text] of readLines(file)) {
          if (skipEmpty && text.trim() === '') {
            counts.skipped++;
            continue;
          }
          counts.records++;
          yield { kind: 'text', text, origin: { file, line } };
        }
      } else {
        // One document: line ends (CRLF, a lone CR) become \n, as readLines splits them.
        const size = (await fs.stat(file)).size;
        if (size > MAX_LINE_BYTES) {
          throw new DataError(`${file}: the file is larger than ${MAX_LINE_BYTES / 1024 / 1024} MiB; unit: file reads a file as one document (one string), which cannot be that long. Use unit: line, or split the file`);
        }
        const bytes = await fs.readFile(file).catch((error: unknown) => Promise.reject(fileReadError(error, file)));
        const text = decodeUtf8(bytes, file).replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
        if (skipEmpty && text.trim() === '') {
          counts.skipped++;
          continue;
        }
        counts.records++;
        yield { kind: 'text', text, origin: { file, line: 1 } };
      }
    }
  }
}
