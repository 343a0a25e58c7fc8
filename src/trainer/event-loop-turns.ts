/**
 * Lets Node's event loop turn during training. A training step is synchronous kernel work
 * chained by promises that resolve as microtasks, so without this the loop can go seconds
 * without running timers or I/O callbacks: `status.json` writes fell minutes behind, and
 * callbacks' timers and file writes waited. One `setImmediate` turn costs microseconds; taking it
 * at most every `everyMs` keeps that negligible even for tiny, sub-millisecond steps.
 */
export class EventLoopTurns {
  private last = performance.now();

  constructor(
    /** Least time between turns, in milliseconds. */
    private readonly everyMs = 20,
  ) {}

  /** Gives the event loop one turn if `everyMs` have passed since the last. */
  async maybeTurn(): Promise<void> {
    if (performance.now() - this.last < this.everyMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
