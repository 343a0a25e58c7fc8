import type { CollectiveKind } from './communicator';

/**
 * Layout of the one SharedArrayBuffer the `threads` communicator uses:
 *
 * ```
 * Int32 control[CONTROL_INTS]   barrier counter and generation, abort flag/code/rank/text length,
 *                               group size, chunk length, then per rank [collective, seq, length, root]
 * Uint8 abortText[ABORT_TEXT_BYTES]   UTF-8 reason of an abort
 * Float32 slots[2][size][chunk] each rank's contribution to a chunk, in two sets used in turn
 * ```
 * Collectives larger than one chunk run chunk by chunk, so the buffer's size does not depend on
 * the model. Chunks alternate between the two slot sets: a rank refills a set only after the
 * barrier of the chunk in between, which every rank passes only once it has read that set, so a
 * chunk needs one barrier instead of a second one to protect the slots.
  * @internal
 */
export const CONTROL = {
  arrived: 0,
  generation: 1,
  aborted: 2,
  abortCode: 3,
  abortRank: 4,
  abortTextBytes: 5,
  size: 6,
  chunkFloats: 7,
  /** First per-rank descriptor; rank r's is at `ranks + r * DESCRIPTOR_INTS`. */
  ranks: 8,
} as const;

/**
 * Ints per rank descriptor: collective kind, sequence number, length, root.
 * @internal
 */
export const DESCRIPTOR_INTS = 4;
/**
 * Bytes reserved for the abort reason.
 * @internal
 */
export const ABORT_TEXT_BYTES = 2048;
/**
 * Floats per slot by default for a group of `size`: 2 Mi floats (8 MiB, one chunk for a model of
 * up to 2 M parameters), fewer for large groups so the slots stay within 128 MiB in all.
 * @internal
 */
export function defaultChunkFloats(size: number): number {
  return Math.max(1 << 16, Math.min(1 << 21, Math.floor((1 << 25) / (2 * size))));
}

/**
 * Collective kinds as stored in descriptors (index + 1; 0 means none yet).
 * @internal
 */
export const COLLECTIVE_CODES: readonly CollectiveKind[] = ['barrier', 'allReduceSum', 'broadcast'];

/** Collective number of a descriptor being rewritten (numbers start at 1). */
const ANNOUNCING = -1;

/**
 * What a rank announced for its current collective.
 * @internal
 */
export interface CollectiveDescriptor {
  kind: CollectiveKind | 'none';
  seq: number;
  length: number;
  root: number;
}

/**
 * Typed views over the shared buffer.
 * @internal
 */
export class SharedViews {
  readonly control: Int32Array;
  readonly abortText: Uint8Array;
  /** The two slot sets chunks alternate between, each `[size, chunkFloats]`. */
  readonly sets: Float32Array[];
  /** `slots[set][rank]`: rank `rank`'s slot in `sets[set]`. */
  readonly slots: Float32Array[][];
  readonly size: number;
  readonly chunkFloats: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    const header = new Int32Array(buffer, 0, CONTROL.ranks);
    this.size = header[CONTROL.size];
    this.chunkFloats = header[CONTROL.chunkFloats];
    const controlInts = controlIntsFor(this.size);
    this.control = new Int32Array(buffer, 0, controlInts);
    this.abortText = new Uint8Array(buffer, controlInts * 4, ABORT_TEXT_BYTES);
    const dataStart = controlInts * 4 + ABORT_TEXT_BYTES;
    const setFloats = this.size * this.chunkFloats;
    this.sets = [0, 1].map((set) => new Float32Array(buffer, dataStart + set * setFloats * 4, setFloats));
    this.slots = this.sets.map((set) => Array.from({ length: this.size }, (_, r) => set.subarray(r * this.chunkFloats, (r + 1) * this.chunkFloats)));
  }

  /** Allocates and initializes a buffer for `size` ranks. */
  static create(size: number, chunkFloats = defaultChunkFloats(size)): SharedViews {
    const controlInts = controlIntsFor(size);
    // Untouched pages of the buffer are never backed by memory: a small model uses a slot's start.
    const buffer = new SharedArrayBuffer(controlInts * 4 + ABORT_TEXT_BYTES + 2 * size * chunkFloats * 4);
    const header = new Int32Array(buffer, 0, CONTROL.ranks);
    header[CONTROL.size] = size;
    header[CONTROL.chunkFloats] = chunkFloats;
    header[CONTROL.abortRank] = -1;
    return new SharedViews(buffer);
  }

  /** Rank `rank`'s current descriptor. */
  descriptor(rank: number): CollectiveDescriptor {
    const at = CONTROL.ranks + rank * DESCRIPTOR_INTS;
    // A consistent snapshot: the rank may be announcing its next call meanwhile (a GC pause
    // between two reads made an old number with a new length, a false mismatch), so read the
    // number before and after the fields and retry while it is being rewritten or changed.
    for (;;) {
      const seq = Atomics.load(this.control, at + 1);
      if (seq === ANNOUNCING) continue;
      const code = Atomics.load(this.control, at);
      const length = Atomics.load(this.control, at + 2);
      const root = Atomics.load(this.control, at + 3);
      if (Atomics.load(this.control, at + 1) === seq) return { kind: code === 0 ? 'none' : COLLECTIVE_CODES[code - 1], seq, length, root };
    }
  }

  /** Publishes rank `rank`'s descriptor (before it arrives at the collective's first barrier). */
  announce(rank: number, d: CollectiveDescriptor): void {
    const at = CONTROL.ranks + rank * DESCRIPTOR_INTS;
    // The number is marked first and set last, so a reader never takes half of two announcements.
    Atomics.store(this.control, at + 1, ANNOUNCING);
    Atomics.store(this.control, at, d.kind === 'none' ? 0 : COLLECTIVE_CODES.indexOf(d.kind) + 1);
    Atomics.store(this.control, at + 2, d.length);
    Atomics.store(this.control, at + 3, d.root);
    Atomics.store(this.control, at + 1, d.seq);
  }

  /** Marks the job aborted (first caller wins) and wakes every waiting rank. Returns false if it already was. */
  abort(code: number, rank: number, reason: string): boolean {
    if (Atomics.compareExchange(this.control, CONTROL.aborted, 0, 1) !== 0) return false;
    const bytes = new TextEncoder().encode(reason).subarray(0, ABORT_TEXT_BYTES);
    this.abortText.set(bytes);
    Atomics.store(this.control, CONTROL.abortTextBytes, bytes.length);
    Atomics.store(this.control, CONTROL.abortCode, code);
    Atomics.store(this.control, CONTROL.abortRank, rank);
    // 1 = claimed, 2 = reason written: readers wait for 2 so they never see a half-written reason.
    Atomics.store(this.control, CONTROL.aborted, 2);
    // Waiters sleep on the generation word; waking them makes them see the flag.
    Atomics.notify(this.control, CONTROL.generation);
    return true;
  }

  /** The abort, if the job was aborted. */
  aborted(): { code: number; rank: number; reason: string } | undefined {
    if (Atomics.load(this.control, CONTROL.aborted) === 0) return undefined;
    while (Atomics.load(this.control, CONTROL.aborted) === 1) Atomics.wait(this.control, CONTROL.aborted, 1, 1);
    const length = Atomics.load(this.control, CONTROL.abortTextBytes);
    // TextDecoder refuses views of shared memory: copy first.
    const reason = new TextDecoder().decode(this.abortText.slice(0, length));
    return { code: Atomics.load(this.control, CONTROL.abortCode), rank: Atomics.load(this.control, CONTROL.abortRank), reason };
  }
}

function controlIntsFor(size: number): number {
  // Rounded up to 8 ints so the float slots start 8-byte aligned.
  return Math.ceil((CONTROL.ranks + size * DESCRIPTOR_INTS) / 8) * 8;
}
