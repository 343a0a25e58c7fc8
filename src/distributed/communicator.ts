/** The collectives a {@link Communicator} offers (named in timeout and mismatch messages). */
export type CollectiveKind = 'barrier' | 'allReduceSum' | 'broadcast';

/**
 * What data parallelism needs from a transport: a rank in a fixed-size group and three
 * collectives. Every rank must call the same collectives in the same order with the same sizes;
 * implementations detect a mismatch or a rank that never arrives (timeout) and throw instead of
 * hanging. Results are bit-identical on every rank.
 */
export interface Communicator {
  /** This rank, 0-based; rank 0 logs, writes the run folder and checkpoints. */
  readonly rank: number;
  /** Number of ranks. */
  readonly size: number;
  /** Transport name for messages: `threads`, `mpi`. */
  readonly backend: string;
  /** Returns when every rank has called it. */
  barrier(): Promise<void>;
  /** Sums `data` element-wise over all ranks in place (same length everywhere); returns `data`. */
  allReduceSum(data: Float32Array): Promise<Float32Array>;
  /** Copies `root`'s `data` into every rank's `data` in place (same length everywhere); returns `data`. */
  broadcast(data: Float32Array, root: number): Promise<Float32Array>;
  /**
   * Ends the whole job: every other rank's pending or next collective throws (threads) or the
   * processes are killed (MPI_Abort). Safe to call more than once; the first reason wins.
   */
  abort(code: number, reason: string): void;
  /** Releases the transport after a successful run (MPI_Finalize); never call it after a failure. */
  close(): Promise<void>;
}
