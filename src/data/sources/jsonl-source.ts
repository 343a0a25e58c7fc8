import { DataError } from '../../errors';
import { DataRecord } from '../data-record';
import { jsonErrorMessage, jsonErrorPosition, jsonValueOffset } from '../json-position';
import { BadLines, MAX_LISTED_BAD_LINES } from './bad-lines';
import { DataSource } from './data-source';
import { expandPaths, fileStats } from './glob';
import { JSONL_FILE_EXTENSIONS, JsonlFields, JsonlFormat, mapJsonRecord, wholeJsonHint } from './jsonl-format';
import { readLinesOrErrors } from './line-reader';
import { SettingHint, recipeSettingHint } from './setting-hint';

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
  /** How errors say to change a setting (skipInvalid, fields). Default: `set skipInvalid: true on the source`. */
  settingHint?: SettingHint;
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

/**
 * JSON Lines files, read line by line (never whole). Blank lines are ignored. Malformed lines
 * raise one DataError listing them with file:line[:col], or with `skipInvalid` are skipped and
 * counted in `stats`.
 */
export class JsonlSource implements DataSource {
  /** Counts for the current (or last) pass; reset when a pass starts. */
  stats: JsonlStats = { records: 0, skipped: 0, skippedReasons: [] };
  private readonly options: Required<JsonlSourceOptions>;

  constructor(options: JsonlSourceOptions) {
    this.options = { format: 'auto', fields: {}, skipInvalid: false, cwd: process.cwd(), ...options, settingHint: options.settingHint ?? recipeSettingHint() };
  }

  /** Options plus size and mtime of every matched file. */
  async fingerprint(): Promise<unknown> {
    const { paths, format, fields, skipInvalid } = this.options;
    return { jsonl: { paths, format, fields, skipInvalid }, files: await fileStats(await expandPaths(paths, { cwd: this.options.cwd, folderExtensions: JSONL_FILE_EXTENSIONS })) };
  }

  /** The skipped lines of the last pass, when `skipInvalid` skipped any. */
  passNote(): string | undefined {
    const { skipped, records, skippedReasons } = this.stats;
    if (skipped === 0) return undefined;
    return `skipped ${skipped} bad line${skipped === 1 ? '' : 's'} (skipInvalid: true) and read ${records} record${records === 1 ? '' : 's'}; the first: ${skippedReasons[0]}`;
  }

  /**
   * Yields one record per non-blank line. Without `skipInvalid`, the first bad line ends the
   * pass, but the lines after it are still checked (up to 100,000 of them), so the error lists the
   * bad lines at once.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<DataRecord> {
    const { format, fields, skipInvalid, settingHint } = this.options;
    const stats: JsonlStats = { records: 0, skipped: 0, skippedReasons: [] };
    this.stats = stats;
    const bad = new BadLines('JSONL', `Fix the data, or ${settingHint('skipInvalid', 'true')} to skip bad lines (they are counted and the first ones reported).`);
    for (const file of await expandPaths(this.options.paths, { cwd: this.options.cwd, folderExtensions: JSONL_FILE_EXTENSIONS })) {
      for await (const [line, text] of readLinesOrErrors(file)) {
        bad.line(file, line);
        if (typeof text === 'string' && text.trim() === '') continue;
        let record: DataRecord;
        try {
          if (text instanceof DataError) throw text;
          const value = parseLine(text, file, line);
          if (Array.isArray(value)) throw new DataError(`${file}:${line}: expected a JSON object, got an array${wholeJsonHint(text, line)}.`);
          // Offsets are looked up only for a message: a good line costs nothing more.
          const locate = (path: ReadonlyArray<string | number>): string => {
            const offset = jsonValueOffset(text, path);
            return offset === undefined ? `${file}:${line}` : `${file}:${line}:${offset + 1}`;
          };
          record = mapJsonRecord(value, format, { file, line }, { fields, locate, settingHint });
        } catch (err) {
          if (!(err instanceof DataError)) throw err;
          if (!skipInvalid) bad.add(err);
          else {
            stats.skipped++;
            if (stats.skippedReasons.length < MAX_LISTED_BAD_LINES) stats.skippedReasons.push(err.message);
          }
          continue;
        }
        if (bad.found) continue;
        stats.records++;
        yield record;
      }
    }
    bad.finish();
  }
}

function parseLine(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = jsonErrorPosition(text, err);
    const where = pos === undefined ? `${file}:${line}` : `${file}:${line}:${pos.col}`;
    throw new DataError(`${where}: malformed JSON line (expected one JSON object per line): ${jsonErrorMessage(err)}${wholeJsonHint(text, line, file)}`, { cause: err });
  }
}
