import { Communicator, CollectiveKind } from './communicator';
import { CollectiveMismatchError, CollectiveTimeoutError, JobAbortedError, formatTimeout } from './distributed-errors';
import { CollectiveDescriptor, CONTROL, SharedViews } from './shared-buffer-layout';
import { sumSlots } from './slot-sum';

/** Options of {@link ThreadsCommunicator}. */
export interface ThreadsCommunicatorOptions {
  /** How long a rank waits for the others in one collective before failing the job. */
  timeoutMs: number;
  /** How often a waiting rank wakes to check its deadline (an abort wakes it at once). Default 100. */
  pollMs?: number;
}

/**
 * The `threads` transport: ranks are worker threads of one process sharing a SharedArrayBuffer
 * (layout in `SharedViews`). A collective goes chunk by chunk, with one barrier per chunk: every
 * rank copies its chunk into its slot, waits for the others, then sums the chunk over the slots in
 * rank order (0, 1, 2, ...) itself, in float32 (`sumSlots`: native when the kernels addon is
 * active, the same bits in JS otherwise). Every rank does the same float operations in the same
 * order, so every rank gets the same bits, without a shared result area or a second barrier (a
 * barrier is where ranks wait for the slowest, and a rank woken from one can start late). Chunks
 * alternate between two slot sets, which is what makes refilling a slot safe (see
 * `SharedViews`). Barriers are Atomics counters; waiting ranks sleep in `Atomics.wait`.
 */
export class ThreadsCommunicator implements Communicator {
  readonly backend = 'threads';
  readonly size: number;
  private readonly views: SharedViews;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private seq = 0;
  private set = 1;
  private current: CollectiveDescriptor = { kind: 'none', seq: 0, length: 0, root: -1 };

  constructor(
    buffer: SharedArrayBuffer,
    readonly rank: number,
    options: ThreadsCommunicatorOptions,
  ) {
    this.views = new SharedViews(buffer);
    this.size = this.views.size;
    this.timeoutMs = options.timeoutMs;
    this.pollMs = options.pollMs ?? 100;
  }

  async barrier(): Promise<void> {
    this.enter('barrier', 0, -1);
    this.arrive(true);
  }

  async allReduceSum(data: Float32Array): Promise<Float32Array> {
    // Alone, the sum is the data itself: no copies through the shared buffer.
    if (this.size === 1) return this.alone(data);
    this.enter('allReduceSum', data.length, -1);
    const { chunkFloats } = this.views;
    const size = this.size;
    let first = true;
    for (let offset = 0; first || offset < data.length; offset += chunkFloats) {
      const n = Math.min(chunkFloats, data.length - offset);
      const slots = this.nextSlots();
      slots[this.rank].set(data.subarray(offset, offset + n));
      this.arrive(first);
      first = false;
      sumSlots(data, offset, this.views.sets[this.set], chunkFloats, size, n);
    }
    return data;
  }

  async broadcast(data: Float32Array, root: number): Promise<Float32Array> {
    if (this.size === 1) return this.alone(data);
    this.enter('broadcast', data.length, root);
    const { chunkFloats } = this.views;
    let first = true;
    for (let offset = 0; first || offset < data.length; offset += chunkFloats) {
      const n = Math.min(chunkFloats, data.length - offset);
      const slots = this.nextSlots();
      if (this.rank === root) slots[root].set(data.subarray(offset, offset + n));
      this.arrive(first);
      first = false;
      if (this.rank !== root) data.set(slots[root].subarray(0, n), offset);
    }
    return data;
  }

  abort(code: number, reason: string): void {
    this.views.abort(code, this.rank, reason);
  }

  async close(): Promise<void> {}

  /** The slot set of the next chunk: the two sets in turn (every rank turns alike). */
  private nextSlots(): Float32Array[] {
    this.set ^= 1;
    return this.views.slots[this.set];
  }

  /** A collective of a group of one: only an abort (by the launcher) can interrupt it. */
  private alone(data: Float32Array): Float32Array {
    this.throwIfAborted();
    return data;
  }

  /** Starts a collective: checks for an abort and announces what this rank is calling. */
  private enter(kind: CollectiveKind, length: number, root: number): void {
    this.throwIfAborted();
    this.seq++;
    this.current = { kind, seq: this.seq, length, root };
    this.views.announce(this.rank, this.current);
  }

  /** Waits until every rank has arrived; on a collective's first barrier also checks the ranks agree. */
  private arrive(verify: boolean): void {
    const control = this.views.control;
    const generation = Atomics.load(control, CONTROL.generation);
    if (Atomics.add(control, CONTROL.arrived, 1) === this.size - 1) {
      Atomics.store(control, CONTROL.arrived, 0);
      Atomics.add(control, CONTROL.generation, 1);
      Atomics.notify(control, CONTROL.generation);
    } else {
      const deadline = Date.now() + this.timeoutMs;
      while (Atomics.load(control, CONTROL.generation) === generation) {
        this.throwIfAborted();
        const left = deadline - Date.now();
        if (left <= 0) this.fail(new CollectiveTimeoutError(this.timeoutMessage()));
        Atomics.wait(control, CONTROL.generation, generation, Math.min(left, this.pollMs));
      }
    }
    if (verify) this.verify();
  }

  /**
   * After a collective's first barrier every rank has announced it. A faster rank may already
   * have announced its next one (seq + 1): that rank has checked this pair itself.
   */
  private verify(): void {
    const mine = this.current;
    for (let r = 0; r < this.size; r++) {
      if (r === this.rank) continue;
      const other = this.views.descriptor(r);
      if (other.seq === mine.seq + 1) continue;
      if (other.seq === mine.seq && other.kind === mine.kind && other.length === mine.length && other.root === mine.root) continue;
      this.fail(new CollectiveMismatchError(`Collective mismatch: rank ${this.rank} called ${describe(mine)} but rank ${r} called ${describe(other)}. Every rank must make the same collective calls in the same order.`));
    }
  }

  private timeoutMessage(): string {
    const mine = this.current;
    const behind: string[] = [];
    for (let r = 0; r < this.size; r++) {
      if (r === this.rank) continue;
      const other = this.views.descriptor(r);
      if (other.seq < mine.seq) behind.push(`rank ${r} (last in ${describe(other)})`);
    }
    const who = behind.length > 0 ? `waiting for ${behind.join(', ')}` : 'not every rank arrived';
    return `Rank ${this.rank} timed out after ${formatTimeout(this.timeoutMs)} in ${describe(mine)}: ${who}. A rank is stuck or skipped a collective (distributed.timeoutSec sets the limit).`;
  }

  /** Aborts the job with `error`'s message (so the other ranks stop too) and throws it. */
  private fail(error: Error): never {
    this.views.abort(1, this.rank, error.message);
    throw error;
  }

  private throwIfAborted(): void {
    const aborted = this.views.aborted();
    if (aborted === undefined) return;
    const by = aborted.rank < 0 ? 'the launcher' : `rank ${aborted.rank}`;
    throw new JobAbortedError(`Rank ${this.rank} stopped: the job was aborted by ${by}: ${aborted.reason}`);
  }
}

function describe(d: CollectiveDescriptor): string {
  if (d.kind === 'none') return 'no collective yet';
  const size = d.kind === 'barrier' ? '' : ` (${d.length.toLocaleString('en-US')} floats${d.kind === 'broadcast' ? `, root ${d.root}` : ''})`;
  return `${d.kind} #${d.seq}${size}`;
}
