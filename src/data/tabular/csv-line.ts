/** A CSV line could not be split; `col` is the 1-based column of the problem. */
export interface CsvLineProblem {
  /** What is wrong. */
  message: string;
  /** 1-based column of the problem in the line. */
  col: number;
}

/**
 * Splits one CSV line into cells (RFC 4180 within a line): cells may be quoted, `""` inside
 * quotes is a quote, the delimiter inside quotes is text. Quoted cells spanning lines are not
 * supported. Returns the cells, or a problem with its column.
 */
export function splitCsvLine(line: string, delimiter = ','): string[] | CsvLineProblem {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      const start = i;
      let cell = '';
      i++;
      for (;;) {
        if (i >= line.length) return { message: 'quoted cell is not closed (quoted cells spanning lines are not supported)', col: start + 1 };
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
      cells.push('');
      return cells;
    }
  }
}
