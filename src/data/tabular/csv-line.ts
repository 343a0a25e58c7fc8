/** A CSV line could not be split; `col` is the 1-based column of the problem. */
export interface CsvLineProblem {
  /** What is wrong. */
  message: string;
  /** 1-based column of the problem in the line. */
  col: number;
  /** True when a quoted cell is still open at the end of the text. */
  unclosed?: boolean;
}

/**
 * Splits one CSV record into cells (RFC 4180): cells may be quoted, `""` inside quotes is a
 * quote, the delimiter and line breaks inside quotes are text, and spaces around a quoted cell
 * are ignored (`1, "2,5" ,3`). Returns the cells, or a problem with its column; `unclosed` marks
 * a quote still open at the end, which the next line of the file may close. `starts`, if given,
 * receives each cell's 0-based offset in `line` (for messages).
 */
export function splitCsvLine(line: string, delimiter = ',', starts?: number[]): string[] | CsvLineProblem {
  const cells: string[] = [];
  // Space-delimited files keep their spaces: there they separate cells.
  const skip = (at: number): number => (delimiter.includes(' ') ? at : skipSpaces(line, at));
  let i = 0;
  for (;;) {
    const quote = skip(i);
    starts?.push(line[quote] === '"' ? quote : i);
    if (line[quote] === '"') {
      i = quote;
      const start = i;
      let cell = '';
      i++;
      for (;;) {
        if (i >= line.length) return { message: 'quoted cell is not closed', col: start + 1, unclosed: true };
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += line[i++];
      }
      i = skip(i);
      if (i < line.length && !line.startsWith(delimiter, i)) return { message: `unexpected text after a closing quote (expected '${delimiter}')`, col: i + 1 };
      cells.push(cell);
    } else {
      const end = line.indexOf(delimiter, i);
      cells.push(end < 0 ? line.slice(i) : line.slice(i, end));
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return cells;
    i += delimiter.length;
    if (i === line.length) {
      starts?.push(i);
      cells.push('');
      return cells;
    }
  }
}

function skipSpaces(line: string, i: number): number {
  while (line[i] === ' ') i++;
  return i;
}
