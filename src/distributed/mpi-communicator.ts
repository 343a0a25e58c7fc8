import * as path from 'path';
import { Communicator } from './communicator';
import { CollectiveMismatchError, CollectiveTimeoutError, DistributedSetupError, formatTimeout, JobAbortedError } from './distributed-errors';

/** The N-API binding in `native/mpi` (package `floe-mpi`). */
export interface MpiBinding {
  /** MPI_Init_thread (once); returns [rank, size]. */
  init(): [number, number];
  /**
   * Non-blocking collectives polled until done (0), `timeoutMs` (1), 300 ms after a SIGTERM or
   * SIGINT reached the waiting rank (2: mpirun is tearing the job down), or an abort notice from
   * another rank arrived (3). Data is updated in place.
   */
  allReduceSum(data: Float32Array, timeoutMs: number): number;
  /** Broadcasts `data` from rank `root` to every rank, polled like `allReduceSum`. */
  broadcast(data: Float32Array, root: number, timeoutMs: number): number;
  /** Waits for every rank, polled like `allReduceSum`. */
  barrier(timeoutMs: number): number;
  /** Element-wise MIN and MAX of an int32 array over ranks, polled like the collectives; returns [status, min..., max...]. */
  minMax(data: Int32Array, timeoutMs: number): Int32Array;
  /** Sends rank 0 the reason of an abort (rank 0's waits end with status 3 and {@link notice}). */
  notify(reason: string): void;
  /** The abort reason another rank sent, if any. */
  notice(): string | undefined;
  /** MPI_Abort on MPI_COMM_WORLD: ends every rank. */
  abort(code: number): void;
  /** MPI_Finalize. */
  finalize(): void;
  /** Open MPI's version string. */
  version(): string;
}

/** What to install when the MPI binding is missing. */
export const MPI_INSTALL_HINT =
  "Install Open MPI (apt-get install openmpi-bin libopenmpi-dev), then build Floe's MPI addon: `cd native/mpi && npm run build` in the floe folder.";

/** Loads the optional binding; throws {@link DistributedSetupError} with install steps when it is missing. */
export function loadMpiBinding(): MpiBinding {
  const candidates = ['floe-mpi', path.resolve(__dirname, '..', '..', '..', 'native', 'mpi')];
  const problems: string[] = [];
  for (const candidate of candidates) {
    try {
      return require(candidate) as MpiBinding;
    } catch (error) {
      problems.push(`${candidate}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new DistributedSetupError(`distributed.backend 'mpi' needs the Open MPI binding, which is not built. ${MPI_INSTALL_HINT} (Tried ${problems.join('; ')}.)`);
}

const KINDS = { barrier: 1, allReduceSum: 2, broadcast: 3 } as const;
type Kind = keyof typeof KINDS;

/**
 * The `mpi` transport: one rank per process started by mpirun. Each collective first agrees on
 * what is being called (an all-reduce of [kind, seq, length, root] with MIN and MAX, so ranks that
 * disagree fail with a message instead of deadlocking), then runs the MPI collective
 * non-blocking, polled against the timeout. MPI_Allreduce's sum order is fixed by Open MPI's
 * algorithm for a given size, so every rank gets the same bits.
 */
export class MpiCommunicator implements Communicator {
  readonly backend = 'mpi';
  readonly rank: number;
  readonly size: number;
  private seq = 0;
  private closed = false;
  private notified = false;

  constructor(
    private readonly binding: MpiBinding,
    private readonly timeoutMs: number,
  ) {
    [this.rank, this.size] = binding.init();
  }

  async barrier(): Promise<void> {
    this.agree('barrier', 0, -1);
    this.check(this.binding.barrier(this.timeoutMs), 'barrier');
  }

  async allReduceSum(data: Float32Array): Promise<Float32Array> {
    this.agree('allReduceSum', data.length, -1);
    this.check(this.binding.allReduceSum(data, this.timeoutMs), 'allReduceSum');
    return data;
  }

  async broadcast(data: Float32Array, root: number): Promise<Float32Array> {
    this.agree('broadcast', data.length, root);
    this.check(this.binding.broadcast(data, root, this.timeoutMs), 'broadcast');
    return data;
  }

  abort(code: number, reason: string): void {
    this.notify(reason);
    this.binding.abort(code);
  }

  /**
   * Sends rank 0 the reason the job fails without ending it yet: rank 0's next collective throws
   * with it, and rank 0 records the failure (its step, last checkpoint) before it aborts the job.
   * Sent once; rank 0 itself sends nothing.
   */
  notify(reason: string): void {
    if (this.notified) return;
    this.notified = true;
    this.binding.notify(reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.binding.finalize();
  }

  private agree(kind: Kind, length: number, root: number): void {
    this.seq++;
    const out = this.binding.minMax(Int32Array.of(KINDS[kind], this.seq, length, root), this.timeoutMs);
    this.check(out[0], kind);
    const min = out.subarray(1, 5);
    const max = out.subarray(5, 9);
    if (min.every((v, i) => v === max[i])) return;
    const name = (code: number): string => (Object.keys(KINDS) as Kind[]).find((k) => KINDS[k] === code) ?? `#${code}`;
    throw new CollectiveMismatchError(
      `Collective mismatch at rank ${this.rank}: this rank called ${kind} #${this.seq} (${length} floats${root >= 0 ? `, root ${root}` : ''}); across ranks the call was ${name(min[0])}..${name(max[0])}, #${min[1]}..#${max[1]}, ${min[2]}..${max[2]} floats. Every rank must make the same collective calls in the same order.`,
    );
  }

  private check(status: number, kind: string): void {
    if (status === 0) return;
    if (status === 3) throw new JobAbortedError(`Rank ${this.rank} stopped in ${kind} #${this.seq}: the job was aborted: ${this.binding.notice() ?? 'another rank failed'}`);
    if (status === 2) {
      throw new JobAbortedError(
        `Rank ${this.rank} got SIGTERM/SIGINT while waiting in ${kind} #${this.seq}: mpirun is ending the job (another rank died, or mpirun was interrupted). For a clean stop under mpirun, send SIGUSR1 with signal-stop listening for it.`,
      );
    }
    throw new CollectiveTimeoutError(
      `Rank ${this.rank} timed out after ${formatTimeout(this.timeoutMs)} in ${kind} #${this.seq}: another rank is stuck or skipped a collective (distributed.timeoutSec sets the limit).`,
    );
  }
}
