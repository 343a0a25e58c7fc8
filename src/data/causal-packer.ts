import { FloeError } from '../errors';
import { appendAll } from './append-all';
import { LmExample } from './lm-example';

/** Options of {@link CausalPacker}. */
export interface CausalPackingOptions {
  /** Tokens per row (T). Each row is cut from a window of T + 1 tokens. */
  maxLength: number;
  /** What to do with the final partial window: keep it shorter (`keep`, default) or `drop` it. */
  remainder?: 'keep' | 'drop';
}

// Rows are views into chunks of the token stream: one allocation per chunk, not per row. Chunks
// start small (a tiny corpus wastes little) and grow to this many windows.
const MAX_CHUNK_WINDOWS = 256;

/**
 * Pretraining-style packing: documents (already ending in eos) are concatenated into one stream
 * and cut into windows of `maxLength + 1` tokens; a row's inputs are a window minus its last
 * token and its labels the window shifted by one. Consecutive windows share one token, so every
 * token of the stream is a label exactly once. Every label is trained; attention crosses documents.
 *
 * The stream is stored once, 4 bytes per token: a row's `inputIds` and `labels` are overlapping
 * views of it and every `lossMask` is a view of one shared run of ones.
 */
export class CausalPacker {
  private readonly maxLength: number;
  private readonly remainder: 'keep' | 'drop';
  private readonly ones: Float32Array;
  private chunk: Int32Array;
  private chunks = 0;
  /** Tokens written to `chunk`. */
  private length = 0;
  /** Where the next window starts in `chunk`. */
  private start = 0;
  /** Labels of final partial windows that `remainder: 'drop'` left out, over every finished stream. */
  droppedLabels = 0;

  constructor(options: CausalPackingOptions) {
    if (!Number.isInteger(options.maxLength) || options.maxLength < 1) {
      throw new FloeError(`Causal packing: maxLength must be a positive integer, got ${options.maxLength}.`);
    }
    this.maxLength = options.maxLength;
    this.remainder = options.remainder ?? 'keep';
    this.ones = new Float32Array(this.maxLength).fill(1);
    this.chunk = this.newChunk();
  }

  /** Appends a document; returns the rows it completed. */
  push(ids: readonly number[]): LmExample[] {
    const rows: LmExample[] = [];
    const window = this.maxLength + 1;
    for (const id of ids) {
      if (this.length === this.chunk.length) this.renew();
      this.chunk[this.length++] = id;
      if (this.length - this.start === window) {
        rows.push(this.row(this.start, this.length));
        this.start += this.maxLength;
      }
    }
    return rows;
  }

  /** Ends the stream: the last partial row (at least two tokens) unless `remainder: 'drop'`. */
  finish(): LmExample[] {
    const left = this.length - this.start;
    const rows = left >= 2 && this.remainder === 'keep' ? [this.row(this.start, this.length)] : [];
    if (left >= 2 && this.remainder === 'drop') this.droppedLabels += left - 1;
    this.chunks = 0;
    this.chunk = this.newChunk();
    this.length = 0;
    this.start = 0;
    return rows;
  }

  /** Capacity k·maxLength + 1: a chunk ends exactly where its k-th window does. */
  private newChunk(): Int32Array {
    const windows = Math.min(MAX_CHUNK_WINDOWS, 4 * 2 ** this.chunks++);
    return new Int32Array(windows * this.maxLength + 1);
  }

  /** Moves the unfinished window (at least the token shared with the last row) to a new chunk. */
  private renew(): void {
    const tail = this.chunk.subarray(this.start, this.length);
    this.chunk = this.newChunk();
    this.chunk.set(tail);
    this.length = tail.length;
    this.start = 0;
  }

  private row(from: number, to: number): LmExample {
    return { inputIds: this.chunk.subarray(from, to - 1), labels: this.chunk.subarray(from + 1, to), lossMask: this.ones.subarray(0, to - from - 1) };
  }
}

/** Packs a list of tokenized documents at once; see {@link CausalPacker}. */
export function packCausal(documents: Iterable<readonly number[]>, options: CausalPackingOptions): LmExample[] {
  const packer = new CausalPacker(options);
  const rows: LmExample[] = [];
  for (const doc of documents) appendAll(rows, packer.push(doc));
  appendAll(rows, packer.finish());
  return rows;
}
