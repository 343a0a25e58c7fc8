/** Appends a key or index to a dotted config path: `optimizer` + `lr` → `optimizer.lr`; `sources` + 0 → `sources[0]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** Splits `a.b[0].c` into `['a', 'b', 0, 'c']`. */
export function splitPath(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const segment of path.split('.')) {
    const match = /^([^[\]]*)((\[\d+\])*)$/.exec(segment);
    if (match === null) {
      parts.push(segment);
      continue;
    }
    if (match[1] !== '') parts.push(match[1]);
    for (const index of match[2].match(/\d+/g) ?? []) parts.push(Number(index));
  }
  return parts;
}

/** True when `path` is `prefix` or a setting inside it (`optimizer.lr` is under `optimizer`, `optimizerX` is not). */
export function isAtOrUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** `a.b[0].c` → `a.b[0]`, `a` → `` (root). */
export function parentPath(path: string): string {
  const bracket = path.lastIndexOf('[');
  const dot = path.lastIndexOf('.');
  const cut = Math.max(bracket, dot);
  return cut <= 0 ? '' : path.slice(0, cut);
}
