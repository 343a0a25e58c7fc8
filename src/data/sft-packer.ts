import { FloeError } from '../errors';
import { appendAll } from './append-all';
import { LmExample, TokenizedDocument } from './lm-example';

/** Options of {@link SftPacker}. */
export interface SftOptions {
  /** Most tokens per row (T). Longer documents are cut to `maxLength + 1` tokens. */
  maxLength: number;
  /** Id filling padded positions. */
  padId: number;
  /** Put several documents in one row, each with its own segment id and positions. Default false. */
  packing?: boolean;
  /** Pad each row's length up to a multiple of this (e.g. 8 for aligned kernels). Default 1. */
  padToMultipleOf?: number;
}

/** What {@link SftPacker} left out. */
export interface SftStats {
  /** Documents cut because they were longer than `maxLength + 1` tokens. */
  truncated: number;
  /** Documents dropped because no trained token was left (after truncation). */
  dropped: number;
}

/**
 * Supervised fine-tuning rows with completion-only loss: `lossMask[t]` is 1 only where the label
 * (token t + 1) is marked trained, i.e. assistant replies and their end-of-turn. Without packing
 * each document is one row. With packing, documents are laid greedily into rows of at most
 * `maxLength` tokens; each gets `segmentIds` k = 1, 2, ... and `positions` restarting at 0, and
 * labels never cross from one document into the next.
 */
export class SftPacker {
  /** Truncation and drop counts so far. */
  readonly stats: SftStats = { truncated: 0, dropped: 0 };
  private readonly options: Required<SftOptions>;
  private pending: LmExample[] = [];
  private pendingLength = 0;

  constructor(options: SftOptions) {
    // An option given as undefined keeps its default.
    this.options = { ...options, packing: options.packing ?? false, padToMultipleOf: options.padToMultipleOf ?? 1 };
    const { maxLength, padToMultipleOf } = this.options;
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new FloeError(`SFT: maxLength must be a positive integer, got ${maxLength}.`);
    if (!Number.isInteger(padToMultipleOf) || padToMultipleOf < 1) throw new FloeError(`SFT: padToMultipleOf must be a positive integer, got ${padToMultipleOf}.`);
  }

  /** Adds a document; returns the rows it completed (none while a packed row is still filling). */
  push(doc: TokenizedDocument): LmExample[] {
    const piece = this.shift(doc);
    if (piece === undefined) return [];
    if (!this.options.packing) return [this.pad(piece)];
    const rows: LmExample[] = [];
    if (this.pendingLength + piece.inputIds.length > this.options.maxLength) appendAll(rows, this.flush());
    this.pending.push(piece);
    this.pendingLength += piece.inputIds.length;
    return rows;
  }

  /** Emits the last partly filled packed row. */
  finish(): LmExample[] {
    return this.flush();
  }

  /** One document as a shifted (input, label) row, truncated; undefined if nothing is trained. */
  private shift(doc: TokenizedDocument): LmExample | undefined {
    const n = Math.min(doc.ids.length, this.options.maxLength + 1);
    if (n < doc.ids.length) this.stats.truncated++;
    // inputIds and labels are two views of one copy of the document.
    // Copied straight from the document: a slice first would be one more copy of a long document.
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = doc.ids[i];
    const lossMask = new Float32Array(Math.max(n - 1, 0));
    for (let i = 1; i < n; i++) lossMask[i - 1] = doc.trainMask[i] ? 1 : 0;
    if (n < 2 || !lossMask.includes(1)) {
      this.stats.dropped++;
      return undefined;
    }
    return { inputIds: ids.subarray(0, n - 1), labels: ids.subarray(1), lossMask };
  }

  private flush(): LmExample[] {
    if (this.pending.length === 0) return [];
    const n = this.pendingLength;
    const row = { inputIds: new Int32Array(n), labels: new Int32Array(n), lossMask: new Float32Array(n), positions: new Int32Array(n), segmentIds: new Int32Array(n) };
    let at = 0;
    this.pending.forEach((piece, k) => {
      const len = piece.inputIds.length;
      row.inputIds.set(piece.inputIds, at);
      row.labels.set(piece.labels, at);
      row.lossMask.set(piece.lossMask, at);
      for (let t = 0; t < len; t++) row.positions[at + t] = t;
      row.segmentIds.fill(k + 1, at, at + len);
      at += len;
    });
    this.pending = [];
    this.pendingLength = 0;
    return [this.pad(row)];
  }

  private pad(row: LmExample): LmExample {
    const m = this.options.padToMultipleOf;
    const extra = (m - (row.inputIds.length % m)) % m;
    return padExample(row, row.inputIds.length + extra, this.options.padId);
  }
}

/**
 * `example` lengthened to `length` with pad ids, loss 0, position 0 and segment 0 (only the
 * optional fields the example has are extended). Returns the same object if already that long.
 */
export function padExample(example: LmExample, length: number, padId: number): LmExample {
  if (length <= example.inputIds.length) return example;
  const fill = <A extends Int32Array | Float32Array>(values: A, value: number): A => {
    const out = new (values.constructor as new (n: number) => A)(length);
    out.set(values);
    out.fill(value, values.length);
    return out;
  };
  const padded: LmExample = {
    inputIds: fill(example.inputIds, padId),
    labels: fill(example.labels, padId),
    lossMask: fill(example.lossMask, 0),
    numTokens: example.numTokens ?? example.inputIds.length,
  };
  if (example.positions !== undefined) padded.positions = fill(example.positions, 0);
  if (example.segmentIds !== undefined) padded.segmentIds = fill(example.segmentIds, 0);
  return padded;
}

/** Builds all SFT rows from tokenized documents at once; see {@link SftPacker}. */
export function buildSftExamples(documents: Iterable<TokenizedDocument>, options: SftOptions): { examples: LmExample[]; stats: SftStats } {
  const packer = new SftPacker(options);
  const examples: LmExample[] = [];
  for (const doc of documents) appendAll(examples, packer.push(doc));
  appendAll(examples, packer.finish());
  return { examples, stats: packer.stats };
}
