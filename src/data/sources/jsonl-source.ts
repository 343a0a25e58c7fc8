import { DataError } from '../../errors';
import { DataRecord } from '../data-record';
import { jsonErrorPosition } from '../json-position';
import { DataSource } from './data-source';
import { expandPaths, fileStats } from './glob';
import { JsonlFields, JsonlFormat, mapJsonRecord } from './jsonl-format';
import { readLines } from './line-reader';

/** Options of {@link JsonlSource}. */
export interface JsonlSourceOptions {
  /** Files, folders or glob patterns of `.jsonl` files. */
  paths: string[];
  /** Record shape; see {@link JsonlFormat}. Default `auto`. */
  format?: JsonlFormat;
  /** Field names, where they differ from the defaults. */
  fields?: JsonlFields;
  /** Skip (and count) malformed lines instead of failing. Default false. */
  skipInvalid?: boolean;
  /** Folder relative paths are resolved against. Default `process.cwd()`. */
  cwd?: string;
}

/** Counts of the last completed or running pass. */
export interface JsonlStats {
  /** Records yielded. */
  records: number;
  /** Malformed lines skipped (only with `skipInvalid`). */
  skipped: number;
  /** The first few skip reasons, each naming file:line. */
  skippedReasons: string[];
}

const MAX_REASONS = 10;
/** After the first bad line, how many more lines are checked for the error message. */
const LOOK_AHEAD_LINES = 100_000;

/**
 * JSON Lines files, read line by line (never whole). Blank lines are ignored. A malformed line
 * raises DataError with file:line[:col], or with `skipInvalid` is skipped and counted in `stats`.
 */
export class JsonlSource implements DataSource {
  /** Counts for the current (or last) pass; reset when a pass starts. */
  stats: JsonlStats = { records: 0, skipped: 0, skippedReasons: [] };
  private readonly options: Required<JsonlSourceOptions>;

  constructor(options: JsonlSourceOptions) {
    this.options = { format: 'auto', fields: {}, skipInvalid: false, cwd: process.cwd(), ...options };
  }

  /** Options plus size and mtime of every matched file. */
  async fingerprint(): Promise<unknown> {
    const { paths, format, fields, skipInvalid } = this.options;
    return { jsonl: { paths, format, fields, skipInvalid }, files: await fileStats(await expandPaths(paths, this.options.cwd)) };
  }

  /**
   * Yields one record per non-blank line. Without `skipInvalid`, the first bad line ends the
   * pass, but the lines after it are still checked (up to {@link LOOK_AHEAD_LINES}), so the error
   * lists the first {@link MAX_REASONS} bad lines and how many there were, not one at a time.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<DataRecord> {
    const { format, fields, skipInvalid } = this.options;
    const stats: JsonlStats = { records: 0, skipped: 0, skippedReasons: [] };
    this.stats = stats;
    const bad: BadLines = { count: 0, reasons: [], checkedAfter: 0, stoppedAt: undefined };
    for (const file of await expandPaths(this.options.paths, this.options.cwd)) {
      for await (const [line, text] of readLines(file)) {
        if (bad.count > 0 && ++bad.checkedAfter > LOOK_AHEAD_LINES) {
          bad.stoppedAt = `${file}:${line}`;
          throw badLinesError(bad);
        }
        if (text.trim() === '') continue;
        let record: DataRecord;
        try {
          record = mapJsonRecord(parseLine(text, file, line), format, { file, line }, fields);
        } catch (err) {
          if (!(err instanceof DataError)) throw err;
          if (!skipInvalid) {
            bad.count++;
            if (bad.reasons.length < MAX_REASONS) bad.reasons.push(err);
            continue;
          }
          stats.skipped++;
          if (stats.skippedReasons.length < MAX_REASONS) stats.skippedReasons.push(err.message);
          continue;
        }
        if (bad.count > 0) continue;
        stats.records++;
        yield record;
      }
    }
    if (bad.count > 0) throw badLinesError(bad);
  }
}

/** Bad lines found in one pass without `skipInvalid`. */
interface BadLines {
  count: number;
  reasons: DataError[];
  /** Lines read since the first bad one. */
  checkedAfter: number;
  /** file:line where the look-ahead stopped, if it did. */
  stoppedAt: string | undefined;
}

function badLinesError(bad: BadLines): DataError {
  const fix = 'Fix the data, or set skipInvalid: true on the source to skip bad lines (they are counted and the first ones reported).';
  const [first] = bad.reasons;
  if (bad.count === 1 && bad.stoppedAt === undefined) return new DataError(`${first.message} ${fix}`, { cause: first.cause ?? first });
  const counted = bad.stoppedAt === undefined ? `${bad.count}` : `${bad.count} or more`;
  const shown = bad.reasons.length < bad.count ? ` (the first ${bad.reasons.length})` : '';
  const stopped = bad.stoppedAt === undefined ? '' : `\n(looked ${LOOK_AHEAD_LINES.toLocaleString('en-US')} lines past the first bad one, up to ${bad.stoppedAt})`;
  return new DataError(`${counted} bad JSONL lines${shown}:\n${bad.reasons.map((r) => `  - ${r.message}`).join('\n')}${stopped}\n${fix}`, { cause: first });
}

function parseLine(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = jsonErrorPosition(text, err);
    const where = pos === undefined ? `${file}:${line}` : `${file}:${line}:${pos.col}`;
    throw new DataError(`${where}: malformed JSON line (expected one JSON object per line): ${(err as Error).message}`, { cause: err });
  }
}
