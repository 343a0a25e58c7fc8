/**
 * A setting's value as an error message shows it: JSON (`"abc"`, `[1,2]`, `-1`), except that
 * numbers JSON cannot hold are named (`Infinity`, `-Infinity`, `NaN`, where JSON would say `null`).
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined) return 'nothing';
  if (Array.isArray(value) && value.some((v) => typeof v === 'number' && !Number.isFinite(v))) return `[${value.map(formatValue).join(',')}]`;
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json;
}

/** Largest whole number a setting may hold: beyond it, numbers are not exact (2^53 − 1). */
export const MAX_SAFE_WHOLE = Number.MAX_SAFE_INTEGER;

/** The end of a range that only exactness bounds, as messages say it. */
export const SAFE_WHOLE_LIMIT_TEXT = `2^53 − 1 (${MAX_SAFE_WHOLE}, beyond which numbers are not exact)`;
