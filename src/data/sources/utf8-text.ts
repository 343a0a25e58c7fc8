import { DataError } from '../../errors';

// Fatal: a byte sequence that is not UTF-8 throws instead of turning into U+FFFD, so a binary or
// Latin-1 file is reported, not trained on as replacement characters.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 `bytes` read from `file` (their first byte on line `line`, column 1). Invalid
 * UTF-8 is a {@link DataError} at file:line:col of the first bad byte; so is a NUL byte, which
 * text does not hold (valid UTF-8, but the mark of a UTF-16 or binary file).
 */
export function decodeUtf8(bytes: Uint8Array, file: string, line = 1): string {
  let text: string | undefined;
  try {
    text = decoder.decode(bytes);
  } catch {
    // Located below.
  }
  const nul = bytes.indexOf(0);
  if (text !== undefined && nul < 0) return text;
  const invalid = text === undefined ? invalidUtf8Offset(bytes) : -1;
  const at = nul >= 0 && (invalid < 0 || nul < invalid) ? nul : invalid;
  if (at < 0) throw new DataError(`${file}:${line}: not UTF-8 text`);
  // (lastIndexOf from -1 would search from the end.)
  const lineStart = at === 0 ? 0 : Math.max(bytes.lastIndexOf(0x0a, at - 1), bytes.lastIndexOf(0x0d, at - 1)) + 1;
  const lineNo = line + countLineEnds(bytes, lineStart);
  const col = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, at)).length + 1;
  const where = `${file}:${lineNo}:${col}`;
  const utf16Bom = line === 1 && at === 0 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
  if (utf16Bom || bytes[at] === 0) {
    const what = utf16Bom ? 'it starts with a UTF-16 byte-order mark' : 'a NUL byte (0x00), which text does not hold: the file looks like UTF-16 or binary';
    throw new DataError(`${where}: not UTF-8 text (${what}). Floe reads text and data files as UTF-8: convert the file (e.g. iconv -f utf-16 -t utf-8), or leave binary files out of the paths`);
  }
  const byte = `0x${bytes[at].toString(16).toUpperCase().padStart(2, '0')}`;
  throw new DataError(`${where}: not UTF-8 text (byte ${byte}). Floe reads text and data files as UTF-8: convert the file (e.g. iconv -f latin1 -t utf-8), or leave binary files out of the paths`);
}

/** Line ends (LF, CRLF or a lone CR, as readLines splits lines) before `end`. */
function countLineEnds(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) {
    if (bytes[i] === 0x0a) n++;
    else if (bytes[i] === 0x0d) {
      n++;
      if (bytes[i + 1] === 0x0a) i++;
    }
  }
  return n;
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (RFC 3629). */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // Trailing bytes and the allowed range of the second byte (no overlongs, surrogates or > U+10FFFF).
    let trailing: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) trailing = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      trailing = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      trailing = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= trailing; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += trailing + 1;
  }
  return -1;
}
