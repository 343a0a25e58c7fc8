/** 1-based line and column of a `JSON.parse` failure. */
export interface JsonErrorPosition {
  /** 1-based line within the parsed text. */
  line: number;
  /** 1-based column within that line. */
  col: number;
}

/**
 * Line:col of a `JSON.parse` failure in `text`: from V8's `at position N` when it gives one, else
 * from a scan of `text` for the first character no JSON value can have there (V8 omits the
 * position for "Unexpected token" errors, the commonest: a trailing comma, a typo in `true`).
 * Undefined when neither finds it (the text ends too early: the end of the line is the place).
 */
export function jsonErrorPosition(text: string, error: unknown): JsonErrorPosition | undefined {
  const match = /position (\d+)/.exec(error instanceof Error ? error.message : String(error));
  const offset = match !== null ? Math.min(Number(match[1]), text.length) : firstJsonErrorOffset(text);
  if (offset === undefined) return undefined;
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

/**
 * The message of a `JSON.parse` failure without V8's `in JSON at position N` (and `(line L column
 * C)`): callers show the place as file:line:col, so the offset would say it twice.
 */
export function jsonErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8 quotes the bad text: control characters (a NUL of a binary file) are shown escaped, not
  // sent to the terminal.
  return message
    .replace(/( in JSON)? at position \d+( \(line \d+ column \d+\))?/, '')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Thrown inside the scan with the offset of the bad character. */
class JsonScanStop {
  constructor(readonly offset: number) {}
}

/**
 * Offset of the first character of `text` that cannot continue a JSON document, or undefined
 * when the text is valid or only ends too early. Checks the grammar only (no values are built).
 */
export function firstJsonErrorOffset(text: string): number | undefined {
  return scanJson(text);
}

/**
 * Offset in `text` (valid JSON) where the value at `path` starts (`['messages', 0, 'role']`);
 * the last one for a key written twice, as `JSON.parse` keeps it. Undefined when there is none.
 */
export function jsonValueOffset(text: string, path: ReadonlyArray<string | number>): number | undefined {
  let found: number | undefined;
  const want = JSON.stringify(path);
  scanJson(text, (at, offset) => {
    if (at.length === path.length && JSON.stringify(at) === want) found = offset;
  });
  return found;
}

/** {@link firstJsonErrorOffset}, calling `onValue(path, offset)` where each value starts. */
function scanJson(text: string, onValue?: (path: ReadonlyArray<string | number>, offset: number) => void): number | undefined {
  const path: Array<string | number> = [];
  let i = 0;
  const stop = (): never => {
    throw new JsonScanStop(i);
  };
  const space = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const expect = (c: string): void => {
    if (i >= text.length || text[i] !== c) stop();
    i++;
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[i] ?? '')) stop();
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const string = (): void => {
    expect('"');
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) stop();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) ((i += k), stop());
          i += 5;
          continue;
        }
        if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) stop();
      }
      i++;
    }
    expect('"');
  };
  const value = (): void => {
    space();
    onValue?.(path, i);
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') return void i++;
      for (;;) {
        space();
        const keyStart = i;
        string();
        if (onValue !== undefined) path.push(JSON.parse(text.slice(keyStart, i)) as string);
        space();
        expect(':');
        value();
        if (onValue !== undefined) path.pop();
        space();
        if (text[i] === ',') i++;
        else return expect('}');
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') return void i++;
      for (let index = 0; ; index++) {
        path.push(index);
        value();
        path.pop();
        space();
        if (text[i] === ',') i++;
        else return expect(']');
      }
    }
    if (c === '"') return string();
    if (c === '-' || /[0-9]/.test(c ?? '')) {
      if (c === '-') i++;
      if (text[i] === '0') i++;
      else digits();
      if (text[i] === '.') (i++, digits());
      if (text[i] === 'e' || text[i] === 'E') {
        i++;
        if (text[i] === '+' || text[i] === '-') i++;
        digits();
      }
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (c === word[0]) {
        for (const ch of word) expect(ch);
        return;
      }
    }
    stop();
  };
  try {
    value();
    space();
    if (i < text.length) stop();
    return undefined;
  } catch (error) {
    if (!(error instanceof JsonScanStop)) throw error;
    // Running off the end is "the text ends too early", not a bad character.
    return error.offset >= text.length ? undefined : error.offset;
  }
}
