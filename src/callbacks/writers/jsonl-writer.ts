import { promises as fs } from 'fs';
import * as path from 'path';
import { makeFolder } from '../../checkpoint/io/make-folder';
import { FloeError } from '../../errors';
import { fsErrorReason } from '../../errors/fs-error-reason';
import { AppendQueue } from './append-queue';

/** Options of {@link JsonlWriter.open}. */
export interface JsonlWriterOptions {
  /** Start an empty file instead of appending to an existing one (default false: resume appends). */
  truncate?: boolean;
}

/**
 * JSON has no NaN or Infinity; a diverging loss must still be visible, so they are written as the
 * strings "NaN", "Infinity" and "-Infinity" (which `readJsonl` turns back into numbers).
 * BigInts are written as decimal strings.
 */
export function jsonSafeReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Serialises one record as a single JSON line (with the trailing newline). */
export function toJsonLine(record: unknown): string {
  const json = JSON.stringify(record, jsonSafeReplacer);
  if (json === undefined) throw new FloeError(`Cannot write ${typeof record} as a JSON line.`);
  return `${json}\n`;
}

/**
 * Appends one JSON record per line (e.g. `metrics.jsonl`). Each record is a single write, in
 * call order, so a crash loses at most the last line and readers can tail the file live.
 */
export class JsonlWriter {
  private constructor(
    /** Path of the file. */
    readonly file: string,
    private readonly queue: AppendQueue,
  ) {}

  /**
   * Opens (creating folders as needed) for appending.
   * @throws FloeError naming the file and why when it cannot be created (a file in the way, no permission).
   */
  static async open(file: string, options: JsonlWriterOptions = {}): Promise<JsonlWriter> {
    const dir = path.dirname(path.resolve(file));
    const cannot =
      (what: string) =>
      (error: unknown): Promise<never> =>
        Promise.reject(new FloeError(`Cannot write ${file}: ${what}${fsErrorReason(error)}`, { cause: error }));
    // makeFolder, not mkdir -p: Node's recursive mkdir never returns below a folder such as /proc.
    await makeFolder(dir).catch(cannot(`cannot create its folder ${dir}: `));
    const handle = await fs.open(file, options.truncate === true ? 'w' : 'a+').catch(cannot(''));
    const writer = new JsonlWriter(file, new AppendQueue(handle, file));
    const { size } = await handle.stat();
    if (size > 0) {
      // A crash mid-line leaves a torn record; start on a fresh line so it cannot glue onto ours.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await writer.queue.append('\n');
    }
    return writer;
  }

  /** Appends `record` as one line. */
  write(record: unknown): Promise<void> {
    let line: string;
    try {
      line = toJsonLine(record);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.append(line);
  }

  /** Resolves once every record written so far is in the file. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Flushes, fsyncs and closes the file. */
  close(): Promise<void> {
    return this.queue.close();
  }
}
