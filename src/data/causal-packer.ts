import { FloeError } from '../errors';
import { LmExample } from './lm-example';

/** Options of {@link CausalPacker}. */
export interface CausalPackingOptions {
  /** Tokens per row (T). Each row is cut from a window of T + 1 tokens. */
  maxLength: number;
  /** What to do with the final partial window: keep it shorter (`keep`, default) or `drop` it. */
  remainder?: 'keep' | 'drop';
}

// Compact the buffer once this many consumed tokens sit at its front.
const COMPACT_AFTER = 1 << 16;

/**
 * Pretraining-style packing: documents (already ending in eos) are concatenated into one stream
 * and cut into windows of `maxLength + 1` tokens; a row's inputs are a window minus its last
 * token and its labels the window shifted by one. Consecutive windows share one token, so every
 * token of the stream is a label exactly once. Every label is trained; attention crosses documents.
 */
export class CausalPacker {
  private readonly maxLength: number;
  private readonly remainder: 'keep' | 'drop';
  private buffer: number[] = [];
  private start = 0;

  constructor(options: CausalPackingOptions) {
    if (!Number.isInteger(options.maxLength) || options.maxLength < 1) {
      throw new FloeError(`Causal packing: maxLength must be a positive integer, got ${options.maxLength}.`);
    }
    this.maxLength = options.maxLength;
    this.remainder = options.remainder ?? 'keep';
  }

  /** Appends a document; returns the rows it completed. */
  push(ids: readonly number[]): LmExample[] {
    for (const id of ids) this.buffer.push(id);
    const rows: LmExample[] = [];
    while (this.buffer.length - this.start >= this.maxLength + 1) {
      rows.push(this.row(this.start, this.start + this.maxLength + 1));
      this.start += this.maxLength;
    }
    if (this.start >= COMPACT_AFTER) {
      this.buffer = this.buffer.slice(this.start);
      this.start = 0;
    }
    return rows;
  }

  /** Ends the stream: the last partial row (at least two tokens) unless `remainder: 'drop'`. */
  finish(): LmExample[] {
    const left = this.buffer.length - this.start;
    const rows = left >= 2 && this.remainder === 'keep' ? [this.row(this.start, this.buffer.length)] : [];
    this.buffer = [];
    this.start = 0;
    return rows;
  }

  private row(from: number, to: number): LmExample {
    const window = this.buffer.slice(from, to);
    return { inputIds: window.slice(0, -1), labels: window.slice(1), lossMask: new Array<number>(window.length - 1).fill(1) };
  }
}

/** Packs a list of tokenized documents at once; see {@link CausalPacker}. */
export function packCausal(documents: Iterable<readonly number[]>, options: CausalPackingOptions): LmExample[] {
  const packer = new CausalPacker(options);
  const rows: LmExample[] = [];
  for (const doc of documents) rows.push(...packer.push(doc));
  rows.push(...packer.finish());
  return rows;
}
