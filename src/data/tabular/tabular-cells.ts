import { didYouMean } from '../../errors';

/** A decimal number as data files write it: `3`, `-0.5`, `.25`, `1e-3`, `+2.`. */
const NUMBER_PATTERN = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** How exports write a missing or non-finite value: `NaN`, `-inf`, `NA`, `null`, `?`, ... */
const MISSING_MARKER = /^([-+]?(nan|inf|infinity)|n\/?a|null|none|missing|-|\?)$/i;

/** Why a cell could not be read; the caller adds file:line. */
export type CellProblem = string;

/**
 * Parses a numeric cell. Returns the number, or a problem naming the column and the text
 * (empty cells, words, `NaN`, hex and the like are all refused).
 */
export function parseNumberCell(text: string, column: string): number | CellProblem {
  const s = text.trim();
  if (s === '') return `column '${column}' is empty; every feature and target cell needs a number`;
  if (!NUMBER_PATTERN.test(s)) {
    const missing = MISSING_MARKER.test(s) ? ' (missing and non-finite values cannot be trained on: fill the cell or drop the row)' : ' (expected a decimal number such as 3, -0.5 or 1e-3)';
    return `column '${column}' has ${JSON.stringify(clip(s))}, which is not a number${missing}`;
  }
  return checkNumberRange(Number(s), column, clip(s));
}

/** The largest float32: training tensors are float32, so a larger value would become Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** `value`, or a problem when it is not finite or does not fit in float32 (`text` shows it as written). */
export function checkNumberRange(value: number, column: string, text = String(value)): number | CellProblem {
  if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
    return `column '${column}' has ${text}, which is out of range: numbers must be finite and within ±3.4e38 (float32)`;
  }
  return value;
}

/**
 * Parses a class label: a whole number ≥ 0, or one of `classes` (then its index). Returns the
 * class id or a problem naming the column, the text and what is allowed.
 */
export function parseLabelCell(value: string | number, column: string, classes?: readonly string[]): number | CellProblem {
  const s = typeof value === 'number' ? String(value) : value.trim();
  if (classes !== undefined) {
    const named = classes.indexOf(s);
    if (named >= 0) return named;
  }
  if (/^\d+$/.test(s)) {
    const id = Number(s);
    if (classes !== undefined && id >= classes.length) return `column '${column}' has class id ${id}, but classes lists ${classes.length} (ids 0..${classes.length - 1})`;
    return id;
  }
  if (classes !== undefined) return `column '${column}' has ${JSON.stringify(clip(s))}, which is not one of the classes ${classes.join(', ')}.${didYouMean(s, classes)}`;
  return `column '${column}' has ${JSON.stringify(clip(s))}; class labels must be whole numbers 0, 1, 2, ... (or list the names under 'classes')`;
}

/**
 * `file:line: feature column 'x9' (data.sources[0].features[1]) is not in the header. Columns: a, b. Did you mean 'x1'?`
 */
export function missingColumnProblem(options: { column: string; role: string; configPath: string; available: readonly string[]; location: string; container: string }): CellProblem {
  const { column, role, configPath, available, location, container } = options;
  const shown = available.length === 0 ? '(none)' : available.join(', ');
  return `${location}: ${role} column '${column}' (${configPath}) is not in ${container}. Columns: ${shown}.${didYouMean(column, available)}`;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
