import { JobAbortedError } from './distributed-errors';
import type { MpiCommunicator } from './mpi-communicator';

/**
 * Runs `work` as this process's rank of an mpirun job and ends MPI as its outcome requires: after
 * success MPI_Finalize; after a failure the rank says so on stderr, sends rank 0 the reason
 * (`onRankFailure` runs next, on ranks other than 0) and ends the whole job with MPI_Abort, never
 * MPI_Finalize (which would wait forever for ranks still in a collective).
 */
export async function runMpiRank<T>(comm: MpiCommunicator, work: () => Promise<T>, onRankFailure?: (reason: string) => Promise<void>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = error instanceof JobAbortedError ? message : `rank ${comm.rank} failed: ${message}`;
    process.stderr.write(`floe: rank ${comm.rank} of ${comm.size} failed, aborting the MPI job: ${message}\n`);
    if (comm.rank !== 0) {
      // Rank 0 gets the reason in its next collective (and may record it, then abort the job).
      comm.notify(reason);
      await onRankFailure?.(reason);
    }
    comm.abort(1, reason);
    throw error;
  }
  await comm.close();
  return result;
}
