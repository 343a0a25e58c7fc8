import { ConfigError } from '../errors';
import { JobAbortedError } from './distributed-errors';
import type { MpiCommunicator } from './mpi-communicator';

/**
 * How long a rank other than 0 that found a recipe error waits for rank 0 to report it and end
 * the job. Every rank builds the same parts from the same recipe and data, so rank 0 reaches the
 * same error within moments (or, if it does not, its first collective fails with this rank's reason).
 */
const RECIPE_ERROR_GRACE_MS = 5000;

/** Options of {@link runMpiRank}. */
export interface MpiRankOptions {
  /** Runs after a failure on ranks other than 0, before the job is aborted (records it in status.json). */
  onRankFailure?: (reason: string) => Promise<void>;
  /** How long a rank other than 0 leaves a recipe error (ConfigError) to rank 0 before reporting it itself. */
  recipeErrorGraceMs?: number;
}

/**
 * Runs `work` as this process's rank of an mpirun job and ends MPI as its outcome requires: after
 * success MPI_Finalize; after a failure the rank says so on stderr, sends rank 0 the reason
 * (`onRankFailure` runs next, on ranks other than 0) and ends the whole job with MPI_Abort, never
 * MPI_Finalize (which would wait forever for ranks still in a collective). A recipe error is said
 * once, by rank 0: the other ranks hand it the reason and wait for its abort to end them.
 */
export async function runMpiRank<T>(
  comm: Pick<MpiCommunicator, 'rank' | 'size' | 'notify' | 'abort' | 'close'>,
  work: () => Promise<T>,
  options: MpiRankOptions = {},
): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = error instanceof JobAbortedError ? message : `rank ${comm.rank} failed: ${message}`;
    if (comm.rank !== 0 && error instanceof ConfigError) {
      // Every rank would print the same error (N lines, and MPI_Abort from one rank can kill rank 0
      // before it prints its own). Rank 0 aborts the job meanwhile, which ends this process here.
      comm.notify(reason);
      await new Promise((resolve) => setTimeout(resolve, options.recipeErrorGraceMs ?? RECIPE_ERROR_GRACE_MS));
    }
    process.stderr.write(`floe: rank ${comm.rank} of ${comm.size} failed, aborting the MPI job: ${message}\n`);
    if (comm.rank !== 0) {
      // Rank 0 gets the reason in its next collective (and may record it, then abort the job).
      comm.notify(reason);
      await options.onRankFailure?.(reason);
    }
    comm.abort(1, reason);
    throw error;
  }
  await comm.close();
  return result;
}
