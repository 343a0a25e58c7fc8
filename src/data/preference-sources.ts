import { ConfigError, DataError } from '../errors';
import { Rng } from '../random';
import { jsonErrorMessage, jsonErrorPosition, jsonValueOffset } from './json-position';
import { PreferenceRecord, parsePreferenceRecord } from './preference-record';
import { SourceConfig } from './source-factory';
import { BadLines } from './sources/bad-lines';
import { expandPaths } from './sources/glob';
import { JSONL_FILE_EXTENSIONS } from './sources/jsonl-format';
import { readLinesOrErrors } from './sources/line-reader';
import { SettingHint, recipeSettingHint } from './sources/setting-hint';
import { generateSyntheticPair } from './sources/synthetic-source';

/** Options of {@link readPreferenceSource}. */
export interface ReadPreferenceOptions {
  /** Recipe path of the source, for errors (`data.sources[0]`). */
  path: string;
  /** Folder relative paths resolve against (the recipe's). */
  cwd: string;
  /** Seed of generated sources without their own. */
  seed: number;
  /** Receives the note on lines a `skipInvalid` source skipped (how many, the first reason). */
  onSkipped?: (note: string) => void;
}

/** The source kinds preference data reads. */
export const PREFERENCE_SOURCES = "jsonl (records { prompt, chosen, rejected }) and synthetic (task: addition-preference)";

/**
 * The preference pairs of one `data.sources` entry: a `jsonl` source's lines parsed as
 * {@link PreferenceRecord}s (every bad line listed at once, by file:line:col), or a `synthetic`
 * source with `task: addition-preference` (prompt `12+30=`, chosen the sum, rejected a wrong one).
 * @throws ConfigError for another source kind or task.
 */
export async function readPreferenceSource(source: SourceConfig, options: ReadPreferenceOptions): Promise<PreferenceRecord[]> {
  const s = source as SourceConfig & Record<string, unknown>;
  if (s.type === 'jsonl') {
    if (s.format !== undefined && s.format !== 'auto') throw new ConfigError([{ path: `${options.path}.format`, message: `dpo data reads { prompt, chosen, rejected } lines and has no format setting; got '${String(s.format)}': remove it` }]);
    return readPreferenceJsonl(s.paths as string[], { cwd: options.cwd, skipInvalid: s.skipInvalid === true, onSkipped: options.onSkipped, settingHint: recipeSettingHint(options.path) });
  }
  if (s.type === 'synthetic') {
    if (s.task !== 'addition-preference') throw new ConfigError([{ path: `${options.path}.task`, message: `dpo data needs preference pairs: task '${String(s.task)}' has one answer per prompt. Supported here: addition-preference` }]);
    return additionPreferencePairs({ count: s.count as number, seed: (s.seed as number | undefined) ?? options.seed, minDigits: s.minDigits as number, maxDigits: s.maxDigits as number });
  }
  throw new ConfigError([{ path: `${options.path}.type`, message: `dpo data cannot read a '${s.type}' source. Supported: ${PREFERENCE_SOURCES}` }]);
}

/**
 * Preference pairs from JSON Lines files; blank lines are skipped, bad ones reported by
 * file:line[:col] all at once, or with `skipInvalid` skipped (the good lines around them kept)
 * and counted in one note to `onSkipped`. The bad-line error says how to set `skipInvalid` with
 * `settingHint` (default `set skipInvalid: true on the source`; the callers name `data.sources[i]`).
 */
export async function readPreferenceJsonl(paths: readonly string[], options: { cwd: string; skipInvalid?: boolean; onSkipped?: (note: string) => void; settingHint?: SettingHint }): Promise<PreferenceRecord[]> {
  const records: PreferenceRecord[] = [];
  const skip = options.skipInvalid === true;
  const settingHint = options.settingHint ?? recipeSettingHint();
  const bad = new BadLines('preference JSONL', `Fix the data, or ${settingHint('skipInvalid', 'true')} to skip bad lines.`);
  const skipped: DataError[] = [];
  for (const file of await expandPaths(paths, { cwd: options.cwd, folderExtensions: JSONL_FILE_EXTENSIONS })) {
    for await (const [line, text] of readLinesOrErrors(file)) {
      if (!skip) bad.line(file, line);
      if (typeof text === 'string' && text.trim() === '') continue;
      try {
        if (text instanceof DataError) throw text;
        const locate = (path: ReadonlyArray<string | number>): string => {
          const offset = jsonValueOffset(text, path);
          return offset === undefined ? `${file}:${line}` : `${file}:${line}:${offset + 1}`;
        };
        const record = parsePreferenceRecord(parseLine(text, file, line), { file, line }, locate);
        if (!bad.found) records.push(record);
      } catch (err) {
        if (!(err instanceof DataError)) throw err;
        if (skip) skipped.push(err);
        else bad.add(err);
      }
    }
  }
  bad.finish();
  if (skipped.length > 0) {
    options.onSkipped?.(`skipped ${skipped.length} bad line${skipped.length === 1 ? '' : 's'} (skipInvalid: true) and read ${records.length} pair${records.length === 1 ? '' : 's'}; the first: ${skipped[0].message}`);
  }
  return records;
}

function parseLine(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = jsonErrorPosition(text, err);
    throw new DataError(`${pos === undefined ? `${file}:${line}` : `${file}:${line}:${pos.col}`}: malformed JSON line (expected one object { prompt, chosen, rejected } per line): ${jsonErrorMessage(err)}`, { cause: err });
  }
}

/**
 * `count` seeded addition problems as preference pairs: prompt `a+b=`, chosen `a+b`, rejected the
 * sum off by 1..9 (never negative), so a model must learn the arithmetic to tell them apart.
 */
export function additionPreferencePairs(options: { count: number; seed: number; minDigits: number; maxDigits: number }): PreferenceRecord[] {
  const rng = new Rng(options.seed).fork('synthetic:addition-preference');
  const task = { task: 'addition' as const, minDigits: options.minDigits, maxDigits: options.maxDigits, minLength: 1, maxLength: 1, alphabet: 'a' };
  return Array.from({ length: options.count }, (_, i) => {
    const { prompt, completion } = generateSyntheticPair(rng, task);
    const sum = Number(completion);
    const off = 1 + rng.int(9);
    const wrong = rng.float() < 0.5 && sum - off >= 0 ? sum - off : sum + off;
    return { prompt, chosen: completion, rejected: String(wrong), origin: { file: 'synthetic:addition-preference', line: i + 1 } };
  });
}
