import { promises as fs } from 'fs';
import * as path from 'path';
import { atomicWriteFile } from '../../checkpoint/io';
import { FloeError } from '../../errors';
import { jsonSafeReplacer } from './jsonl-writer';

/**
 * Keeps a JSON status file (e.g. `status.json`) current. Every write replaces the whole file
 * atomically (temp + rename), so a reader polling it never sees a half-written document; writes
 * are applied in call order.
 */
export class StatusFileWriter {
  private fields: Record<string, unknown> = {};
  private tail: Promise<void> = Promise.resolve();

  /** @param file path of the status file; its folder must exist. */
  constructor(readonly file: string) {}

  /** Replaces the file's content with exactly `fields`. */
  write(fields: Readonly<Record<string, unknown>>): Promise<void> {
    this.fields = { ...fields };
    return this.enqueue(this.fields);
  }

  /** Merges `fields` into the last written ones and writes the result. */
  update(fields: Readonly<Record<string, unknown>>): Promise<void> {
    this.fields = { ...this.fields, ...fields };
    return this.enqueue(this.fields);
  }

  /** Resolves once every write so far is on disk. */
  flush(): Promise<void> {
    return this.tail;
  }

  private enqueue(snapshot: Record<string, unknown>): Promise<void> {
    // Serialise now so later mutation of nested values by the caller cannot change this write.
    let text: string;
    try {
      text = `${JSON.stringify(snapshot, jsonSafeReplacer, 2)}\n`;
    } catch (err) {
      return Promise.reject(new FloeError(`Cannot write status '${this.file}': ${(err as Error).message}`, { cause: err }));
    }
    const write = this.tail.then(() => atomicWriteFile(path.resolve(this.file), text));
    this.tail = write.catch(() => undefined);
    return write;
  }
}

/** A status file's fields, or undefined when it is missing or holds no JSON object (a reader must not fail on it). */
export async function readStatusFile(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
