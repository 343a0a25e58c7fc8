import { createReadStream } from 'fs';
import { DataError } from '../../errors';
import { fsReadReason } from '../../errors/fs-error-reason';
import { decodeUtf8 } from './utf8-text';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Longest line read, in bytes: a line becomes one string, and JavaScript strings end at about
 * 512 M characters (a longer one fails deep inside V8); the tokens of such a line would not fit
 * in memory either.
 */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

/**
 * Streams a UTF-8 file as `[1-based line number, line]` without loading it whole. Lines end at
 * LF, CRLF or a CR alone (universal newlines, as Python and pandas read text: a file saved with
 * old Mac line ends is lines, not one long line), and a byte-order mark on line 1 is not content.
 * Invalid UTF-8 is a DataError at file:line:col.
 */
export function readLines(file: string, options: ReadLinesOptions = {}): AsyncGenerator<[number, string]> {
  // Without `tolerant` a bad line throws, so no DataError is yielded.
  return lines(file, false, options.maxLineBytes ?? MAX_LINE_BYTES) as AsyncGenerator<[number, string]>;
}

/**
 * {@link readLines}, but a line that is not UTF-8 is yielded as its DataError (file:line:col) and
 * the reading goes on, for sources that gather or skip bad lines.
 */
export function readLinesOrErrors(file: string, options: ReadLinesOptions = {}): AsyncGenerator<[number, string | DataError]> {
  return lines(file, true, options.maxLineBytes ?? MAX_LINE_BYTES);
}

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /** Longest line allowed, in bytes. Default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

async function* lines(file: string, tolerant: boolean, maxLineBytes: number): AsyncGenerator<[number, string | DataError]> {
  const stream = createReadStream(file);
  // Bytes of a line that continues into the next chunk (split at CR and LF bytes, which never
  // occur inside a multi-byte UTF-8 sequence, so each line decodes on its own).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // The previous chunk ended in a CR: an LF starting this one belongs to the same line end.
  let afterCr = false;
  let n = 0;
  const line = (bytes: Buffer): string | DataError => {
    n++;
    let text: string;
    try {
      text = decodeUtf8(bytes, file, n);
    } catch (error) {
      if (tolerant && error instanceof DataError) return error;
      throw error;
    }
    return n === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = afterCr && chunk[0] === LF ? 1 : 0;
      afterCr = false;
      // Next LF and CR at or after `start`, searched again only once passed (a file without CRs
      // is scanned for them once per chunk, not once per line).
      let lf = chunk.indexOf(LF, start);
      let cr = chunk.indexOf(CR, start);
      for (;;) {
        if (lf >= 0 && lf < start) lf = chunk.indexOf(LF, start);
        if (cr >= 0 && cr < start) cr = chunk.indexOf(CR, start);
        const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(lf, cr);
        if (end < 0) break;
        const head = chunk.subarray(start, end);
        const text = line(pending.length === 0 ? head : Buffer.concat([...pending, head]));
        pending = [];
        pendingBytes = 0;
        start = end + 1;
        if (end === cr) {
          if (start === chunk.length) afterCr = true;
          else if (chunk[start] === LF) start++;
        }
        yield [n, text];
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > maxLineBytes) throw tooLong(file, n + 1, maxLineBytes);
      }
    }
    if (pending.length > 0) {
      const text = line(Buffer.concat(pending));
      yield [n, text];
    }
  } catch (error) {
    throw fileReadError(error, file);
  } finally {
    stream.destroy();
  }
}

function tooLong(file: string, line: number, maxLineBytes: number): DataError {
  const size = maxLineBytes >= 1024 * 1024 ? `${maxLineBytes / 1024 / 1024} MiB` : `${maxLineBytes} bytes`;
  return new DataError(`${file}:${line}: the line is longer than ${size} with no line break; a line is read as one string, which cannot be that long. Break the data into lines (one record or document per line)`);
}

/** A file-system error reading `file` as a DataError saying why; anything else unchanged. */
export function fileReadError(error: unknown, file: string): unknown {
  const reason = fsReadReason(error);
  return reason === undefined ? error : new DataError(`${file}: cannot read it: ${reason}`, { cause: error });
}
