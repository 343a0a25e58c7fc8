import { FloeError } from '../errors';
import { JobAbortedError } from './distributed-errors';
import type { MpiCommunicator } from './mpi-communicator';
import { saidAsOneProcess, sameOnEveryRank } from './rank-errors';

/** Exit codes of the job, as one process's (`EXIT` of the CLI): 1 bad input, 2 internal failure. */
const BAD_INPUT = 1;
const INTERNAL = 2;

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
  /** How long a rank other than 0 leaves an input error (ConfigError, DataError, CheckpointError) to rank 0 before reporting it itself. */
  recipeErrorGraceMs?: number;
}

/**
 * Runs `work` as this process's rank of an mpirun job and ends MPI as its outcome requires: after
 * success MPI_Finalize; after a failure the rank says so on stderr, sends rank 0 the reason
 * (`onRankFailure` runs next, on ranks other than 0) and ends the whole job with MPI_Abort, never
 * MPI_Finalize (which would wait forever for ranks still in a collective). Rank 0 says a
 * user-input error (a FloeError not about the ranks) as one process does (`error: ...`, exit code
 * 1); an input error every rank finds alike (recipe, data, checkpoint) is said once, by rank 0: the
 * other ranks hand it the reason and wait for its abort to end them. Anything not a FloeError is an
 * internal failure: its stack, exit code 2.
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
    if (comm.rank !== 0 && sameOnEveryRank(error)) {
      // Every rank would print the same error (N lines, and MPI_Abort from one rank can kill rank 0
      // before it prints its own). Rank 0 aborts the job meanwhile, which ends this process here.
      comm.notify(reason);
      await new Promise((resolve) => setTimeout(resolve, options.recipeErrorGraceMs ?? RECIPE_ERROR_GRACE_MS));
    }
    const internal = !(error instanceof FloeError);
    process.stderr.write(`${failureLine(comm, error)}\n`);
    if (comm.rank !== 0) {
      // Rank 0 gets the reason in its next collective (and may record it, then abort the job).
      comm.notify(reason);
      await options.onRankFailure?.(reason);
    }
    comm.abort(internal ? INTERNAL : BAD_INPUT, reason);
    throw error;
  }
  await comm.close();
  return result;
}

/**
 * What a failing rank prints: rank 0's user-input error as one process prints it (`error: ...`),
 * an internal failure with its stack, anything else with the rank that failed.
 */
function failureLine(comm: { rank: number; size: number }, error: unknown): string {
  const failed = `rank ${comm.rank} of ${comm.size} failed, aborting the MPI job`;
  if (!(error instanceof FloeError)) return `internal error: ${failed}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  if (comm.rank === 0 && saidAsOneProcess(error)) return `error: ${error.message}`;
  return `floe: ${failed}: ${error.message}`;
}
