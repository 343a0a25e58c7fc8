/**
 * Tokens and samples seen since the last log, and the training time they took: time spent in
 * evaluation and checkpoint saves is left out ({@link ThroughputWindow.excluding}), so a window
 * with an evaluation in it does not report a throughput drop that training never had.
 */
export class ThroughputWindow {
  private start = performance.now();
  private excludedMs = 0;
  private depth = 0;
  /** Tokens counted since the window opened. */
  tokens = 0;
  /** Samples counted since the window opened. */
  samples = 0;

  /** Counts one micro-batch. */
  add(tokens: number, samples: number): void {
    this.tokens += tokens;
    this.samples += samples;
  }

  /** Training seconds since the window opened (wall time less the excluded work). */
  get seconds(): number {
    return (performance.now() - this.start - this.excludedMs) / 1000;
  }

  /** Runs `work` (an evaluation, a save) without counting its time as training time. */
  async excluding<T>(work: () => Promise<T>): Promise<T> {
    // Nested exclusions (a save inside an evaluation hook) count once.
    if (this.depth > 0) return work();
    const begin = performance.now();
    this.depth++;
    try {
      return await work();
    } finally {
      this.depth--;
      this.excludedMs += performance.now() - begin;
    }
  }

  /** Starts a new window. */
  reset(): void {
    this.start = performance.now();
    this.excludedMs = 0;
    this.tokens = 0;
    this.samples = 0;
  }
}
