/** Tokens and samples seen since the last log, for throughput figures. */
export class ThroughputWindow {
  private start = performance.now();
  /** Tokens counted since the window opened. */
  tokens = 0;
  /** Samples counted since the window opened. */
  samples = 0;

  /** Counts one micro-batch. */
  add(tokens: number, samples: number): void {
    this.tokens += tokens;
    this.samples += samples;
  }

  /** Seconds since the window opened. */
  get seconds(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Starts a new window. */
  reset(): void {
    this.start = performance.now();
    this.tokens = 0;
    this.samples = 0;
  }
}
