import { Tokenizer } from './tokenizer';

/** Number of plain byte ids (0..255). */
const BYTE_COUNT = 256;

/**
 * UTF-8 bytes as ids 0..255, plus bos = 256, eos = 257, pad = 258 (vocabSize 259). Needs no
 * files, covers every string, and makes a good baseline for tiny models and synthetic tasks.
 */
export class ByteTokenizer implements Tokenizer {
  /** Id of the begin-of-sequence token. */
  readonly bosId = BYTE_COUNT;
  /** Id of the end-of-sequence (and end-of-turn) token. */
  readonly eosId = BYTE_COUNT + 1;
  /** Id of the padding token. */
  readonly padId = BYTE_COUNT + 2;
  /** 256 bytes plus three specials. */
  readonly vocabSize = BYTE_COUNT + 3;
  /** Fixed: the byte vocabulary never changes. */
  readonly fingerprint = 'byte-v1';
  /** UTF-8 bytes decode as they are: no clean-up, so later ids never change earlier text. */
  readonly decodeCleansUpSpaces = false;
  /** No rule of its own: `data.addBos: auto` adds no bos (set `addBos: true` for one). */
  readonly addsBos = false;
  /** Where `addsBos` comes from, for the run log. */
  readonly addsBosSource = 'the byte tokenizer adds none';

  private readonly encoder = new TextEncoder();
  // fatal: false turns invalid or truncated sequences into U+FFFD instead of throwing.
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  /** UTF-8 bytes of `text`. */
  encode(text: string): number[] {
    const bytes = this.encoder.encode(text);
    // Sized once: Array.from would grow the array in steps, leaving ~2x its size in copies.
    const ids = new Array<number>(bytes.length).fill(0);
    for (let i = 0; i < bytes.length; i++) ids[i] = bytes[i];
    return ids;
  }

  /** Bytes back to text; specials and out-of-range ids are dropped, bad UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (Number.isInteger(id) && id >= 0 && id < BYTE_COUNT) bytes.push(id);
    }
    return this.decoder.decode(Uint8Array.from(bytes));
  }

  /** `<bos>`, `<eos>`, `<pad>`, or a single-byte character (code point < 128). */
  tokenToId(token: string): number | undefined {
    switch (token) {
      case '<bos>':
        return this.bosId;
      case '<eos>':
        return this.eosId;
      case '<pad>':
        return this.padId;
      default: {
        const bytes = this.encoder.encode(token);
        return bytes.length === 1 ? bytes[0] : undefined;
      }
    }
  }
}
