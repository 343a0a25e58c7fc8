import { FloeError, TrainingError } from '../errors';

/** A data-parallel job cannot start as configured (wrong backend, missing Open MPI, ...). */
export class DistributedSetupError extends FloeError {}

/** A collective did not complete: a rank never joined it within the timeout. */
export class CollectiveTimeoutError extends TrainingError {}

/** Ranks called different collectives (or the same one with different sizes) at the same point. */
export class CollectiveMismatchError extends TrainingError {}

/** The job was aborted (another rank failed, or `abort` was called); this rank stops too. */
export class JobAbortedError extends TrainingError {}

/** One rank of a data-parallel job failed; the message names the rank, the cause is its error. */
export class RankFailedError extends TrainingError {
  /**
   * The rank's error was an internal failure (a TypeError, anything not a FloeError): the CLI
   * reports it as one (`internal error:`, the rank's stack, exit code 2), as one process does.
   */
  readonly internal: boolean;
  constructor(
    /** The rank that failed first. */
    readonly rank: number,
    message: string,
    options?: { cause?: unknown; internal?: boolean },
  ) {
    super(message, options);
    this.internal = options?.internal ?? false;
  }
}

/** `0.3 s`, `12 s`: a timeout in messages. */
export function formatTimeout(ms: number): string {
  const s = ms / 1000;
  return `${s < 10 ? Number(s.toFixed(1)) : Math.round(s)} s`;
}
