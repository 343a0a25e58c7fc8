/** Decides whether weight decay applies to the variable `name` (true = decay it). */
export type DecayFilter = (name: string) => boolean;

/** A name pattern: a RegExp, or a glob over the whole name where `*` is any run and `?` one character. */
export type NamePattern = string | RegExp;

/**
 * Names that conventionally get no weight decay: biases (`*.bias`), normalisation weights (any
 * name containing `norm`, or `Norm` as in tfjs layers' `batchNormalization_1.gamma`) and
 * embeddings (`embed.*`, also nested as `*.embed.*`, and tfjs/Keras `Embedding` layers' `*.embeddings`).
 */
export const DEFAULT_NO_DECAY_PATTERNS: readonly NamePattern[] = Object.freeze(['*.bias', 'bias', '*norm*', '*Norm*', 'embed.*', '*.embed.*', '*.embeddings']);

/** Compiles a glob (whole-name match; `*` any characters including dots, `?` one character). */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A RegExp for a pattern; drops `g`/`y` so `test` keeps no `lastIndex` state between names. */
function compilePattern(pattern: NamePattern): RegExp {
  return typeof pattern === 'string' ? globToRegExp(pattern) : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}

/** True when `name` matches any of `patterns`. */
export function matchesAny(name: string, patterns: readonly NamePattern[]): boolean {
  return patterns.some((p) => compilePattern(p).test(name));
}

const DEFAULT_NO_DECAY_REGEXPS = DEFAULT_NO_DECAY_PATTERNS.map(compilePattern);

/** True when `name` is a bias, a norm weight or an embedding, i.e. should NOT be decayed. */
export function defaultNoDecay(name: string): boolean {
  return DEFAULT_NO_DECAY_REGEXPS.some((r) => r.test(name));
}

/** The default filter: decay everything except what {@link defaultNoDecay} excludes. */
export const defaultDecayFilter: DecayFilter = (name) => !defaultNoDecay(name);

/** A decay filter that decays every variable except those matching any of `noDecay`. */
export function makeDecayFilter(options: { noDecay: readonly NamePattern[] }): DecayFilter {
  // Compile once: the filter runs for every variable on every step.
  const compiled = options.noDecay.map(compilePattern);
  return (name) => !compiled.some((r) => r.test(name));
}

/**
 * The patterns of `noDecay` a user added that match none of `names` (a typo such as `*.baises`
 * exempts nothing, silently). Floe's defaults are left out: they are written for every model.
 */
export function unmatchedNoDecay(noDecay: readonly NamePattern[], names: readonly string[]): NamePattern[] {
  const defaults = new Set(DEFAULT_NO_DECAY_PATTERNS.map(String));
  return noDecay.filter((p) => !defaults.has(String(p)) && !matchesSome(p, names));
}

/** True when `pattern` matches at least one of `names` (compiled once). */
export function matchesSome(pattern: NamePattern, names: readonly string[]): boolean {
  const r = compilePattern(pattern);
  return names.some((n) => r.test(n));
}
