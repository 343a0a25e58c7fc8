/** 1-based line and column of a `JSON.parse` failure, when V8 reports a position. */
export interface JsonErrorPosition {
  /** 1-based line within the parsed text. */
  line: number;
  /** 1-based column within that line. */
  col: number;
}

/**
 * Reads `at position N` from a `JSON.parse` error and maps it to line:col in `text`. V8 omits the
 * position for some errors (e.g. "Unexpected token"), so the result may be undefined.
 */
export function jsonErrorPosition(text: string, error: unknown): JsonErrorPosition | undefined {
  const match = /position (\d+)/.exec(error instanceof Error ? error.message : String(error));
  if (match === null) return undefined;
  const offset = Math.min(Number(match[1]), text.length);
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}
