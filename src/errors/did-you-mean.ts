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

/** The closest choice to `word`, if it is close enough to be a plausible typo. */
export function closestMatch(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const choice of choices) {
    const d = editDistance(lower, choice.toLowerCase());
    if (d < bestDistance) {
      best = choice;
      bestDistance = d;
    }
  }
  // Allow roughly one edit per three characters, at least one.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** `" Did you mean 'x'?"` or an empty string. */
export function didYouMean(word: string, choices: readonly string[]): string {
  const match = closestMatch(word, choices);
  return match === undefined ? '' : ` Did you mean '${match}'?`;
}

/** `"a, b, c"`, or `"(none registered)"`. */
export function listChoices(choices: readonly string[]): string {
  return choices.length === 0 ? '(none registered)' : choices.join(', ');
}
