import { promises as fs } from 'fs';
import { DataError } from '../../errors';

/** Options of {@link readJsonl} and {@link parseJsonl}. */
export interface ReadJsonlOptions {
  /** Skip lines that are not valid JSON instead of throwing (default false). */
  skipInvalid?: boolean;
  /** Turn the strings "NaN", "Infinity", "-Infinity" back into numbers (default true; see JsonlWriter). */
  reviveNonFinite?: boolean;
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function reviver(_key: string, value: unknown): unknown {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(NON_FINITE, value) ? NON_FINITE[value] : value;
}

/** 1-based column from a `JSON.parse` error ("... at position 12 ..."), when Node reports one. */
function columnOf(err: Error): number | undefined {
  const m = /position (\d+)/.exec(err.message);
  return m === null ? undefined : Number(m[1]) + 1;
}

/**
 * Parses JSON Lines text; blank lines are ignored.
 * @param source names the file in error messages.
 * @throws DataError `source:line:col: invalid JSON (...)` on a bad line unless `skipInvalid`.
 */
export function parseJsonl<T = unknown>(text: string, source: string, options: ReadJsonlOptions = {}): T[] {
  const revive = options.reviveNonFinite === false ? undefined : reviver;
  const records: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line, revive) as T);
    } catch (err) {
      if (options.skipInvalid === true) continue;
      const col = columnOf(err as Error);
      const where = col === undefined ? `${source}:${i + 1}` : `${source}:${i + 1}:${col}`;
      throw new DataError(`${where}: invalid JSON (${(err as Error).message})`, { cause: err });
    }
  }
  return records;
}

/** Reads a JSON Lines file (see {@link parseJsonl}). */
export async function readJsonl<T = unknown>(file: string, options: ReadJsonlOptions = {}): Promise<T[]> {
  return parseJsonl<T>(await fs.readFile(file, 'utf8'), file, options);
}
