import { createReadStream } from 'fs';
import * as readline from 'readline';

/** Streams a UTF-8 file as `[1-based line number, line]`, CRLF-safe, without loading it whole. */
export async function* readLines(file: string): AsyncGenerator<[number, string]> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      // A UTF-8 byte-order mark on line 1 is not content.
      yield [n, n === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line];
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}
