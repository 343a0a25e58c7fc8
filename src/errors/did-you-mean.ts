/** Edit distance counting insertions, deletions, substitutions and adjacent swaps as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * Every choice at the smallest edit distance from `word` (ties are all returned, in the order of
 * `choices`), or none when even the closest is too far to be a plausible typo.
 */
export function closestMatches(word: string, choices: readonly string[]): string[] {
  let best: string[] = [];
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const choice of choices) {
    const d = editDistance(lower, choice.toLowerCase());
    // A choice that keeps none of the word is no typo of it: 'b' is not one of 'a' (nor of 'c'
    // beside it), while 'x2' is one of 'x'. Longer words never get that far anyway.
    if (d >= Math.max(lower.length, choice.length)) continue;
    if (d < bestDistance) {
      best = [choice];
      bestDistance = d;
    } else if (d === bestDistance && !best.includes(choice)) {
      best.push(choice);
    }
  }
  // Allow roughly one edit per three characters, at least one ('A' still suggests 'a').
  const allowed = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= allowed ? best : [];
}

/** The closest choice to `word`, if it is close enough to be a plausible typo (the first of several as close). */
export function closestMatch(word: string, choices: readonly string[]): string | undefined {
  return closestMatches(word, choices)[0];
}

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`: `words` each wrapped by `quote` (single quotes by default). */
export function orList(words: readonly string[], quote: (word: string) => string = (w) => `'${w}'`): string {
  const quoted = words.map(quote);
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/** `" Did you mean 'x'?"`, `" Did you mean 'x' or 'y'?"` when several are as close, or an empty string. */
export function didYouMean(word: string, choices: readonly string[]): string {
  const matches = closestMatches(word, choices);
  return matches.length === 0 ? '' : ` Did you mean ${orList(matches)}?`;
}

/** `"a, b, c"`, or `"(none registered)"`. */
export function listChoices(choices: readonly string[]): string {
  return choices.length === 0 ? '(none registered)' : choices.join(', ');
}
