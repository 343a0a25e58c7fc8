import { DataError } from '../../errors';

/** How many bad lines an error lists. */
export const MAX_LISTED_BAD_LINES = 10;
/** After the first bad line, how many more lines are checked for the error message. */
export const LOOK_AHEAD_LINES = 100_000;

/**
 * Collects the bad lines of one pass over line-based data files, so a user fixing a file sees
 * them all at once, not one per run. After the first bad line the source keeps reading (without
 * yielding), calls {@link line} for every line and {@link add} for every bad one, and calls
 * {@link finish} at the end; {@link line} throws once {@link LOOK_AHEAD_LINES} lines are checked.
 */
export class BadLines {
  private count = 0;
  private readonly listed: DataError[] = [];
  private checkedAfter = 0;

  constructor(
    /** What the lines are, for the message: `JSONL`, `CSV`. */
    private readonly kind: string,
    /** The last sentence of the message: how to fix or skip them. */
    private readonly fix: string,
  ) {}

  /** Whether a bad line was found: the source must stop yielding. */
  get found(): boolean {
    return this.count > 0;
  }

  /** Records a bad line. */
  add(error: DataError): void {
    this.count++;
    if (this.listed.length < MAX_LISTED_BAD_LINES) this.listed.push(error);
  }

  /**
   * Reads one line with `read`: its value, or undefined once the DataError it threw is recorded
   * (any other error propagates).
   */
  attempt<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      this.add(error);
      return undefined;
    }
  }

  /** Called for each line read once a bad line was found; throws when the look-ahead ends. */
  line(file: string, line: number): void {
    if (this.count > 0 && ++this.checkedAfter > LOOK_AHEAD_LINES) throw this.error(`${file}:${line}`);
  }

  /** Throws the collected error, if any (at the end of the pass). */
  finish(): void {
    if (this.count > 0) throw this.error(undefined);
  }

  private error(stoppedAt: string | undefined): DataError {
    const [first] = this.listed;
    if (this.count === 1 && stoppedAt === undefined) return new DataError(`${first.message}${/[.!?]$/.test(first.message) ? '' : '.'} ${this.fix}`, { cause: first.cause ?? first });
    const counted = stoppedAt === undefined ? `${this.count}` : `${this.count} or more`;
    const shown = this.listed.length < this.count ? ` (the first ${this.listed.length})` : '';
    const stopped = stoppedAt === undefined ? '' : `\n(looked ${LOOK_AHEAD_LINES.toLocaleString('en-US')} lines past the first bad one, up to ${stoppedAt})`;
    const list = this.listed.map((e) => `  - ${e.message}`).join('\n');
    return new DataError(`${counted} bad ${this.kind} lines${shown}:\n${list}${stopped}\n${this.fix}`, { cause: first });
  }
}
