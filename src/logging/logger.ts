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

  private write(level: LogLevel, message: string): void {
    if (ORDER[level] < ORDER[this.level]) return;
    this.sink(level, level === 'warn' || level === 'error' ? `${level}: ${message}` : message);
  }
}

function defaultSink(level: LogLevel, line: string): void {
  if (level === 'warn' || level === 'error') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}
