import * as path from 'path';
import { writeFailedStatus } from '../callbacks/status-callback';
import { readStatusFile, StatusFileWriter } from '../callbacks/writers/status-file-writer';

/** Ranks on several hosts may disagree on the time by this much. */
const CLOCK_SLACK_MS = 10_000;

/** Options of {@link recordRankFailure}. */
export interface RankFailureOptions {
  /** The status file (`<outputDir>/status.json`, or where the recipe's `status` callback puts it). */
  file: string;
  /** The job's failure, as the status file should say it (`rank 1 failed: ...`). */
  error: Error;
  /** When this job started (ms since the epoch): a `running` status written since then is this job's. */
  jobStartMs: number;
  /**
   * How long rank 0 gets to record the failure itself (it knows the step and the last
   * checkpoint) before this rank writes it. 0: write at once.
   */
  waitForMainRankMs?: number;
}

/**
 * Records a failure seen by a rank other than rank 0 (or by the launcher after rank 0 was
 * terminated) in the job's status file. Rank 0 writes the fullest record (step, loss, last
 * checkpoint), so it is given `waitForMainRankMs` to do so; otherwise this job's last `running`
 * status is kept and marked `failed`, so its step and checkpoint are not lost. A file from
 * another run is replaced by a fresh one.
 */
export async function recordRankFailure(options: RankFailureOptions): Promise<void> {
  const end = Date.now() + (options.waitForMainRankMs ?? 0);
  const since = Date.now() - CLOCK_SLACK_MS;
  for (;;) {
    const current = await readStatusFile(options.file);
    // Rank 0 recorded the job's failure (this rank's, or its own when this rank only saw the
    // job end): never replace its record.
    const recorded = current?.state === 'failed' && Date.parse(String(current.updatedAt)) >= since;
    if (recorded) return;
    if (Date.now() >= end) {
      if (current !== undefined && current.state === 'running' && Date.parse(String(current.startedAt)) >= options.jobStartMs - CLOCK_SLACK_MS) {
        const { etaSec: _eta, ...kept } = current;
        await new StatusFileWriter(options.file).write({ ...kept, state: 'failed', error: options.error.message, updatedAt: new Date().toISOString() });
        return;
      }
      await writeFailedStatus({ outputDir: path.dirname(options.file), error: options.error, file: options.file });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
