/**
 * Wall-clock progress of one training session: elapsed time, and an ETA from the steps this
 * process has made (steps restored from a checkpoint took no time here, so they do not count).
 */
export class RunClock {
  private startMs = performance.now();
  private startStep = 0;

  /** Starts timing at optimizer step `step` (non-zero after a resume). */
  start(step: number): void {
    this.startMs = performance.now();
    this.startStep = step;
  }

  /** Seconds since {@link start}. */
  get elapsedSec(): number {
    return (performance.now() - this.startMs) / 1000;
  }

  /** Estimated seconds until step `total`, undefined before the first step of this session. */
  etaSec(step: number, total: number): number | undefined {
    const done = step - this.startStep;
    if (done <= 0) return undefined;
    return Math.max(0, ((total - step) * this.elapsedSec) / done);
  }
}

/** `42s`, `3m07s`, `2h05m` (`?` when unknown). */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
