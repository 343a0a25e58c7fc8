import { createReadStream } from 'fs';
import { DataError } from '../../errors';
import { fsReadReason } from '../../errors/fs-error-reason';
import { decodeUtf8 } from './utf8-text';

/**
 * Streams a UTF-8 file as `[1-based line number, line]` without loading it whole. Lines end at
 * LF; a CR before it is dropped (CRLF files; a CR alone does not end a line), and a byte-order
 * mark on line 1 is not content.
 * Invalid UTF-8 is a DataError at file:line:col.
 */
export async function* readLines(file: string): AsyncGenerator<[number, string]> {
  const stream = createReadStream(file);
  // Bytes of a line that continues into the next chunk (split at LF bytes, which never occur
  // inside a multi-byte UTF-8 sequence, so each line decodes on its own).
  let pending: Buffer[] = [];
  let n = 0;
  const line = (bytes: Buffer): string => {
    n++;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    const text = decodeUtf8(bytes.subarray(0, end), file, n);
    return n === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, start)) {
        const head = chunk.subarray(start, lf);
        const text = line(pending.length === 0 ? head : Buffer.concat([...pending, head]));
        yield [n, text];
        pending = [];
        start = lf + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length > 0) {
      const text = line(Buffer.concat(pending));
      yield [n, text];
    }
  } catch (error) {
    throw readError(error, file);
  } finally {
    stream.destroy();
  }
}

/** A file-system error reading `file` as a DataError saying why; anything else unchanged. */
function readError(error: unknown, file: string): unknown {
  const reason = fsReadReason(error);
  return reason === undefined ? error : new DataError(`${file}: cannot read it: ${reason}`, { cause: error });
}
