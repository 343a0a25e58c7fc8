import { ConfigIssue } from '../errors';
import { didYouMean } from '../errors/did-you-mean';
import { matchesSome } from './decay-filter';

/** What {@link unmatchedPatternIssues} names in its messages. */
export interface UnmatchedPatternsWording {
  /** Config path of the list: issues go to `<path>[i]` (`freeze`, `model.lora.targets`). */
  path: string;
  /** What the names are, singular (`parameter`, `dense layer`). */
  noun: string;
  /** What the hint calls the patterns (`Patterns`, `Targets`). */
  label: string;
  /** Names the hint lists before counting the rest; all when undefined. */
  maxListed?: number;
}

/** `a, b, c`, or the first `max` and a count (`a, b, ... (40 in all)`). */
export function listSome(names: readonly string[], max = Infinity): string {
  return names.length > max ? `${names.slice(0, max).join(', ')}, ... (${names.length} in all)` : names.join(', ');
}

/**
 * One issue per glob of `patterns` that matches none of `names` (a typo would silently select
 * nothing), at `<path>[i]`, its hint listing the names and the likely one.
 */
export function unmatchedPatternIssues(patterns: readonly string[], names: readonly string[], wording: UnmatchedPatternsWording): ConfigIssue[] {
  const { path, noun, label, maxListed } = wording;
  const issues: ConfigIssue[] = [];
  patterns.forEach((pattern, i) => {
    if (matchesSome(pattern, names)) return;
    issues.push({
      path: `${path}[${i}]`,
      message: `'${pattern}' matches no ${noun} of the model`,
      hint: `${label} are globs over whole ${noun} names (* is any run, dots included; ? one character); the ${noun}s are: ${listSome(names, maxListed)}.${didYouMean(pattern, names) || globTypoHint(pattern, names)}`,
    });
  });
  return issues;
}

/**
 * A did-you-mean for a glob whose literal part has a typo, `*.mlp.dwn` → `*.mlp.down`,
 * `embd.*` → `embed.*`: the part after a leading `*.` (or before a trailing `.*`) is compared with
 * the names' last (first) dotted segments, as many as it has. Empty when nothing is close.
 */
function globTypoHint(pattern: string, names: readonly string[]): string {
  const leading = /^\*\.([^*?]+)$/.exec(pattern);
  const trailing = /^([^*?]+)\.\*$/.exec(pattern);
  const literal = leading?.[1] ?? trailing?.[1];
  if (literal === undefined) return '';
  const count = literal.split('.').length;
  const parts = names.map((name) => name.split('.')).filter((segments) => segments.length > count);
  const candidates = [...new Set(parts.map((segments) => (leading !== null ? segments.slice(-count) : segments.slice(0, count)).join('.')))];
  const globs = candidates.map((c) => (leading !== null ? `*.${c}` : `${c}.*`));
  return didYouMean(pattern, globs);
}
