import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { stableHash } from './stable-hash';
import { makeFolder } from '../checkpoint/io/make-folder';
import { DataError } from '../errors';
import { fsErrorReason } from '../errors/fs-error-reason';

/** Result of {@link TokenCache.getOrBuild}. */
export interface CacheResult<T> {
  /** The cached or freshly built value. */
  value: T;
  /** True if it came from disk. */
  cacheHit: boolean;
  /** The cache file. */
  file: string;
}

/** How a value is written to and read from bytes. */
export interface CacheCodec<T> {
  /** Value to bytes. */
  encode(value: T): Buffer;
  /** Bytes to value; `file` is for error messages. */
  decode(bytes: Buffer, file: string): T;
}

/**
 * Content-addressed files under `dir`: the name is the sha256 of a key object (data config,
 * tokenizer identity, file fingerprints). Writes go to a temp file renamed into place, so a
 * crashed or concurrent writer never leaves a half-written entry that a later run would read.
 */
export class TokenCache {
  /** Entries served from disk by this instance. */
  hits = 0;
  /** Entries built by this instance. */
  misses = 0;
  private readonly dir: string;

  constructor(options: { dir: string }) {
    this.dir = options.dir;
  }

  /** sha256 hex of a key object (stable under key order). */
  static keyOf(parts: unknown): string {
    return stableHash(parts);
  }

  /** Path of the entry for `key` (with `extension`, default `.bin`). */
  fileFor(key: string, extension = '.bin'): string {
    return path.join(this.dir, `${key}${extension}`);
  }

  /** Returns the stored value for `key`, or builds, stores and returns it. */
  async getOrBuild<T>(key: string, codec: CacheCodec<T>, build: () => Promise<T>): Promise<CacheResult<T>> {
    const file = this.fileFor(key);
    const bytes = await fs.readFile(file).catch(() => undefined);
    if (bytes !== undefined) {
      const cached = decodeOrUndefined(codec, bytes, file);
      if (cached !== undefined) {
        this.hits++;
        return { value: cached.value, cacheHit: true, file };
      }
      // An unreadable entry (e.g. from an older format) is rebuilt and replaced.
    }
    const value = await build();
    await this.write(file, codec.encode(value));
    this.misses++;
    return { value, cacheHit: false, file };
  }

  /** Atomic write: temp file in the same folder, then rename over the target. */
  async write(file: string, bytes: Buffer): Promise<void> {
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      // makeFolder, not mkdir -p: Node's recursive mkdir never returns below a folder such as /proc.
      await makeFolder(path.dirname(file));
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw new DataError(`Cannot write the tokenized-data cache ${file}: ${fsErrorReason(err)}. Set data.cacheDir to a writable folder, or data.cache: false.`, { cause: err });
    }
  }
}

function decodeOrUndefined<T>(codec: CacheCodec<T>, bytes: Buffer, file: string): { value: T } | undefined {
  try {
    return { value: codec.decode(bytes, file) };
  } catch {
    return undefined;
  }
}
