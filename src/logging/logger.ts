/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options of {@link Logger}. */
export interface LoggerOptions {
  /** Lowest level printed (default `info`). */
  level?: LogLevel;
  /** Where lines go (default: info/debug to stdout, warn/error to stderr). */
  sink?: (level: LogLevel, line: string) => void;
}

/** The run's logger: one per run, held by the run's container. */
export class Logger {
  /** Lowest level printed. */
  level: LogLevel;
  private readonly sink: (level: LogLevel, line: string) => void;
  private wrap?: (write: () => void) => void;

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.sink = options.sink ?? defaultSink;
  }

  /** Prints a debug line (shown only at level `debug`). */
  debug(message: string): void {
    this.write('debug', message);
  }
  /** Prints an informational line. */
  info(message: string): void {
    this.write('info', message);
  }
  /** Prints a warning. */
  warn(message: string): void {
    this.write('warn', message);
  }
  /** Prints an error. */
  error(message: string): void {
    this.write('error', message);
  }

  /**
   * Runs every printed line through `wrap` until the returned function is called: a progress bar
   * on the terminal clears its line before the line is written and redraws itself after it, so
   * the two never end up glued on one line. The line still goes to the sink.
   */
  wrapWrites(wrap: (write: () => void) => void): () => void {
    const previous = this.wrap;
    this.wrap = wrap;
    return () => {
      this.wrap = previous;
    };
  }

  private write(level: LogLevel, message: string): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const emit = (): void => this.sink(level, level === 'warn' || level === 'error' ? `${level}: ${message}` : message);
    if (this.wrap === undefined) emit();
    else this.wrap(emit);
  }
}

function defaultSink(level: LogLevel, line: string): void {
  if (level === 'warn' || level === 'error') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}
