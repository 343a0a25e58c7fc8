/** Where in a source file something is: 1-based line and column. */
export interface SourceLocation {
  /** File, relative to the working directory (or `--set ...` for an override). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
  /** `--set` overrides that changed part of this value (an item of its list), named after it. */
  changedBy?: string[];
}

/** `recipe.yaml:12:9` */
export function formatLocation(loc: SourceLocation | undefined): string {
  if (loc === undefined) return '';
  // Line 0 marks a source with no lines, such as a `--set` override.
  const at = loc.line > 0 ? `${loc.file}:${loc.line}:${loc.col}` : loc.file;
  return loc.changedBy === undefined || loc.changedBy.length === 0 ? at : `${at}, changed by ${loc.changedBy.join(', ')}`;
}

/**
 * Base of every error Floe raises for a user to read. The CLI prints `message` without a stack
 * trace for these (exit code 1); anything else is an internal failure (exit code 2).
 */
export class FloeError extends Error {
  /**
   * The recipe setting the error is about (`model.from`) when it is not a {@link ConfigError}
   * (a folder that holds no model): a run appends where the recipe wrote it, see {@link locateSetting}.
   */
  setting?: string;
  /** The message already ends with the setting's location. */
  private settingLocated = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /**
   * Appends `(model.from, recipe.yaml:17:9)` to the message of an error with a {@link setting},
   * once, keeping its class; `locate` gives where the recipe wrote a setting. Returns the error.
   */
  locateSetting(locate: (path: string) => SourceLocation | undefined): this {
    if (this.setting === undefined || this.settingLocated) return this;
    const location = locate(this.setting);
    const where = ` (${this.setting}${location === undefined ? '' : `, ${formatLocation(location)}`})`;
    // Before a closing period, so the sentence still ends the message.
    this.message = this.message.endsWith('.') ? `${this.message.slice(0, -1)}${where}.` : `${this.message}${where}`;
    this.settingLocated = true;
    return this;
  }
}

/** One problem found while validating a recipe. */
export interface ConfigIssue {
  /** Dotted property path, e.g. `optimizer.lr` or `data.sources[0].path`. */
  path: string;
  /** What is wrong; a message that starts with its own path is shown without a `path:` prefix. */
  message: string;
  /** Where in the recipe the value (or key) was written, when known. */
  location?: SourceLocation;
  /** Shown after the location: the valid choices and a "did you mean" (`Supported: adamw, sgd.`). */
  hint?: string;
}

/** A recipe (or override) is invalid; carries every problem found, not just the first. */
export class ConfigError extends FloeError {
  /** Every problem found, in order. */
  readonly issues: ConfigIssue[];
  /** What the problems are with (`Invalid recipe`), the start of the message. */
  readonly header: string;
  constructor(issues: ConfigIssue[], header = 'Invalid recipe') {
    super(ConfigError.format(header, issues));
    this.issues = issues;
    this.header = header;
  }

  /**
   * The same error with a location for each issue that has none, from `locate(path)` (for
   * problems found after validation, e.g. while building the model, by config path only).
   * Returns this error when nothing new is located.
   */
  located(locate: (path: string) => SourceLocation | undefined): ConfigError {
    let changed = false;
    const issues = this.issues.map((issue) => {
      const location = issue.location ?? locate(issue.path);
      if (location === issue.location) return issue;
      changed = true;
      return { ...issue, location };
    });
    return changed ? new ConfigError(issues, this.header) : this;
  }

  /** The message of an error with these issues: one line, or a header and a bulleted list. */
  static format(header: string, issues: ConfigIssue[]): string {
    if (issues.length === 1) return `${header}: ${ConfigError.formatIssue(issues[0])}`;
    return `${header} (${issues.length} problems):\n${issues.map((i) => `  - ${ConfigError.formatIssue(i)}`).join('\n')}`;
  }

  /**
   * `optimizer.lr: must be a positive number, got -1 (recipe.yaml:7:7)`, or with a hint
   * `optimizer.type 'x' is not supported by trainer 'causal' (recipe.yaml:12:9). Supported: adamw, adam, sgd.`
   */
  static formatIssue(issue: ConfigIssue): string {
    const where = issue.location === undefined ? '' : ` (${formatLocation(issue.location)})`;
    const namesPath = issue.path === '' || issue.message.startsWith(issue.path);
    const text = `${namesPath ? '' : `${issue.path}: `}${issue.message}${where}`;
    return issue.hint === undefined ? text : `${text}. ${issue.hint}`;
  }
}

/** A class failed registration-time validation; lists every problem at once. */
export class RegistrationError extends FloeError {
  /** Every problem with the class, as sentences. */
  readonly problems: string[];
  constructor(subject: string, problems: string[]) {
    super(`Cannot register ${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** A registry lookup found nothing under the asked key. */
export class UnknownTypeError extends FloeError {}

/** A requested tfjs backend is not installed or failed to initialise. */
export class BackendUnavailableError extends FloeError {}

/** A data file is malformed; the message names file:line (and column/field where known). */
export class DataError extends FloeError {}

/** A checkpoint is missing, incomplete, corrupted or incompatible. */
export class CheckpointError extends FloeError {}

/** Training cannot go on (non-finite loss or gradient, a failed collective, ...). */
export class TrainingError extends FloeError {}
