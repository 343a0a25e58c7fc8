import { backendNameHint } from '../backend/backend-names';
import type { Argv } from 'yargs';
import { closestMatches, didYouMean, orList } from '../errors';

/** What yargs was parsing when it failed: the command (if any), its usage line and its flags. */
export interface ParseContext {
  /** `train`, or undefined before a command was recognised. */
  command?: string;
  /** `floe train <recipe>`, or undefined before a command was recognised. */
  usage?: string;
  /** The flags valid here, without dashes: the command's own first, then the global ones. */
  flags: string[];
  /** The repeatable flags (`array` options: --prompt, --set, --code take one value each; --data every word after it), without dashes. */
  repeatable: string[];
  /** The allowed values of flags declared with yargs `choices` (`format` → safetensors, tfjs, hf). */
  choices?: Record<string, string[]>;
}

const GLOBAL_FLAGS = ['verbose', 'help', 'version'];

/** What a repeatable flag given bare (`--prompt` at the end) needs; yargs refuses it before the command runs. */
const VALUE_HINTS: Record<string, string> = {
  prompt: ': the text to continue (repeat --prompt for more prompts)',
  data: ': a data file, folder or glob (repeat --data for more)',
};

/** What a command's positional may also be, where its name (`<recipe>`) says less than it takes. */
const POSITIONAL_HINTS: Record<string, string> = {
  evaluate: ' (a recipe file with --checkpoint <dir>, or a run folder alone: floe evaluate runs/quickstart)',
};

/**
 * Reads the parse context from yargs. yargs exposes these methods without types; if they change,
 * messages lose the detail (no flag list, no usage) but stay correct.
 */
export function parseContext(parser: Argv): ParseContext {
  const y = parser as unknown as {
    getOptions?: () => { key?: Record<string, unknown>; array?: string[]; choices?: Record<string, unknown[]> };
    getInternalMethods?: () => { getContext?: () => { commands?: string[]; fullCommands?: string[] } };
  };
  const options = y.getOptions?.();
  const keys = Object.keys(options?.key ?? {});
  const context = y.getInternalMethods?.().getContext?.();
  const command = context?.commands?.[0];
  const full = context?.fullCommands?.[0];
  // Positionals (`<recipe>`, `[kind]`) are options to yargs too, but not flags to a user.
  const positionals = [...(full ?? '').matchAll(/[<[]([^>\]]+)[>\]]/g)].map((m) => m[1]);
  const own = keys.filter((k) => !GLOBAL_FLAGS.includes(k) && !positionals.includes(k));
  const repeatable = (options?.array ?? []).filter((k) => own.includes(k));
  const choices: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(options?.choices ?? {})) {
    if (Array.isArray(values) && values.length > 0) choices[name] = values.map(String);
  }
  return { command, usage: full === undefined ? undefined : `floe ${full}`, flags: [...own, ...GLOBAL_FLAGS.filter((k) => keys.includes(k))], repeatable, choices };
}

/** `--a, --b`. */
function dashed(names: readonly string[]): string {
  return names.map((n) => `--${n}`).join(', ');
}

/** yargs names an unknown `--bogus-flag` twice (`bogus-flag, bogusFlag`): keep the one typed. */
function withoutCamelCaseTwins(names: readonly string[]): string[] {
  return names.filter((n) => !(n !== n.toLowerCase() && names.includes(n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))));
}

/** `Unknown flag --resum for floe train. Did you mean --resume? Its flags: --resume, --set, ...` */
function unknownArguments(list: string, argv: readonly string[], context: ParseContext): string {
  const names = withoutCamelCaseTwins(list.split(', '));
  // A name typed with dashes is a flag; anything else is a word the command does not take.
  const isFlag = (n: string): boolean => argv.some((a) => a === `--${n}` || a.startsWith(`--${n}=`) || a === `-${n}`);
  const flags = names.filter(isFlag);
  const words = names.filter((n) => !isFlag(n));
  const where = context.command === undefined ? '' : ` for floe ${context.command}`;
  const parts: string[] = [];
  if (flags.length > 0) {
    // Named as typed: `-s` was shown as `--s`. Floe's flags have no one-letter forms, so a
    // one-dash letter is matched against the flags it starts (`-s` → --set).
    const oneDash = (n: string): boolean => !argv.some((a) => a === `--${n}` || a.startsWith(`--${n}=`));
    const shown = flags.map((n) => `${oneDash(n) ? '-' : '--'}${n}`).join(', ');
    const letter = flags.length === 1 && flags[0].length === 1 && oneDash(flags[0]);
    const suggestions = flags.length !== 1 ? [] : letter ? context.flags.filter((f) => f.startsWith(flags[0])) : closestMatches(flags[0], context.flags);
    const hint = suggestions.length === 0 ? '' : ` Did you mean ${orList(suggestions, (f) => `--${f}`)}?`;
    const setHint = flags.includes('set') ? ' (--set overrides a recipe setting: only train, validate and evaluate take it)' : '';
    const shortHint = letter ? ' (flags have no one-letter forms)' : '';
    const valid = context.flags.length === 0 ? '' : ` ${context.command === undefined ? 'Flags' : 'Its flags'}: ${dashed(context.flags)}.`;
    parts.push(`Unknown flag${flags.length === 1 ? '' : 's'} ${shown}${where}${setHint}${shortHint}.${hint}${valid}`);
  }
  if (words.length > 0) {
    const takesPositionals = context.usage !== undefined && /[<[]/.test(context.usage);
    const usage = context.usage === undefined ? '' : takesPositionals ? ` Usage: ${context.usage}.` : ` It takes flags only: ${dashed(context.flags)}.`;
    // `--input -` is the Unix way to say stdin; yargs reads a lone '-' as a positional.
    const stdin = words.includes('-') ? " '-' (standard input) is not read: give a file." : '';
    const listed = `Unexpected argument${words.length === 1 ? '' : 's'} ${words.map((w) => `'${w}'`).join(', ')}${where}`;
    const stray = strayAfterRepeatable(argv, context.repeatable, words);
    parts.push(stray === undefined ? `${listed}.${stdin}${usage}` : `${listed}: ${stray}`);
  }
  return parts.join(' ');
}

/**
 * Each repeatable flag takes one value (`nargs: 1`), so bare words after its value are left over:
 * `--prompt '1+1=' extra` was two prompts while yargs's arrays were greedy. Says which words came
 * after which flag, and the two ways to mean them: repeat the flag, or quote one value.
 */
function strayAfterRepeatable(argv: readonly string[], repeatable: readonly string[], unexpected: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const flag = /^--([^=]+)(=(.*))?$/s.exec(argv[i]);
    if (flag === null || !repeatable.includes(flag[1])) continue;
    const name = flag[1];
    const valueAt = flag[2] === undefined ? i + 1 : i;
    const value = flag[2] === undefined ? argv[valueAt] : flag[3];
    if (value === undefined || (valueAt > i && value.startsWith('-'))) continue;
    let end = valueAt + 1;
    while (end < argv.length && !argv[end].startsWith('-')) end++;
    // A word yargs did place (a positional: `--prompt a run`) is not stray.
    const words = argv.slice(valueAt + 1, end).filter((w) => unexpected.includes(w));
    if (words.length === 0) continue;
    const q = (w: string): string => `'${w}'`;
    const repeated = [value, ...words].map((w) => `--${name} ${q(w)}`).join(' ');
    const quoted = q([value, ...words].join(' '));
    return `each --${name} takes one value (${words.map(q).join(', ')} came after --${name} ${q(value)}). Repeat the flag for several (${repeated}), or quote a value that has spaces (--${name} ${quoted}).`;
  }
  return undefined;
}

/** `Invalid values:\n  Argument: format, Given: "onnx", Choices: "safetensors", "tfjs"` → one line per flag. */
function invalidValues(message: string): string {
  const lines = [...message.matchAll(/Argument: (\S+), Given: (.*), Choices: (.*)/g)].map(([, name, given, choices]) => {
    const allowed = choices.split(', ').map((c) => c.replace(/^"(.*)"$/, '$1'));
    const value = given.replace(/^"(.*)"$/, '$1');
    // `--backend gpu` is closest to cpu by spelling; say what a GPU is here instead.
    const hint = name === 'backend' ? backendNameHint(value) : undefined;
    const help = hint !== undefined ? ` ${hint}` : didYouMean(value, allowed);
    return `--${name} '${value}' is not one of: ${allowed.join(', ')}.${help}`;
  });
  return lines.length === 0 ? message : lines.join('\n');
}

/**
 * Rewrites a yargs usage message in Floe's terms: what was wrong, for which command, and what is
 * valid there (its flags, its usage line, a flag's choices). Messages it does not know pass through.
 */
export function explainUsageFailure(message: string, argv: readonly string[], context: ParseContext): string {
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown !== null) return unknownArguments(unknown[1], argv, context);
  if (/^Invalid values:/.test(message)) return invalidValues(message);
  const required = /^Missing required arguments?: ([^\n]*)/.exec(message);
  if (required !== null) {
    // A flag with choices says them, so the user need not run --help to learn what to write.
    const names = required[1].split(', ').map((n) => (context.choices?.[n] === undefined ? `--${n}` : `--${n} (one of: ${context.choices[n].join(', ')})`));
    const listed = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    return `${context.command === undefined ? 'floe' : `floe ${context.command}`} needs ${listed}.`;
  }
  const following = /^Not enough arguments following: (\S+)$/.exec(message);
  if (following !== null) return `--${following[1]} needs a value${VALUE_HINTS[following[1]] ?? '.'}`;
  if (/^Not enough non-option arguments/.test(message) && context.usage !== undefined) {
    const missing = [...context.usage.matchAll(/<([^>]+)>/g)].map((m) => `<${m[1]}>`);
    return `floe ${context.command ?? ''} needs ${missing.join(' ')}${POSITIONAL_HINTS[context.command ?? ''] ?? ''}: ${context.usage}`;
  }
  return message;
}
