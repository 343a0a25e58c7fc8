import { FloeError } from '../../errors';
import { Rng } from '../../random';
import { DataRecord } from '../data-record';
import { DataSource } from './data-source';

/** Generated tasks. */
export const SYNTHETIC_TASKS = ['addition', 'reverse', 'addition-preference'] as const;

/**
 * A generated task: `addition` (`123+45=168`) or `reverse` (`abc>cba`). `addition-preference` is
 * addition for preference data (`dpo`: the correct sum chosen, a wrong one rejected); other data
 * factories read it as `addition`.
 */
export type SyntheticTask = (typeof SYNTHETIC_TASKS)[number];

/**
 * How records are produced: `text` (`{ kind: 'text', text }`), `pair` (text plus `prompt` and
 * `completion`, for completion-only loss and exact-match evaluation) or `chat` (user prompt,
 * assistant completion).
 */
export type SyntheticOutput = 'text' | 'pair' | 'chat';

/** Options of {@link SyntheticSource}. */
export interface SyntheticSourceOptions {
  /** Which task to generate. */
  task: SyntheticTask;
  /** How many examples one pass yields. */
  count: number;
  /** Seed; the same seed yields the same examples. */
  seed: number;
  /** Record shape. Default `text`. */
  output?: SyntheticOutput;
  /** addition: fewest digits per operand. Default 1. */
  minDigits?: number;
  /** addition: most digits per operand (at most 15). Default 3. */
  maxDigits?: number;
  /** reverse: shortest string. Default 1. */
  minLength?: number;
  /** reverse: longest string. Default 8. */
  maxLength?: number;
  /** reverse: characters to draw from (must not contain `>`). Default `a`..`z`. */
  alphabet?: string;
}

/** A generated problem: the model sees `prompt` and must produce `completion`. */
export interface SyntheticPair {
  /** `123+45=` or `abc>` */
  prompt: string;
  /** `168` or `cba` */
  completion: string;
}

/**
 * Seeded arithmetic and string tasks, no download needed. Formats:
 * - addition: `<a>+<b>=<a+b>`, operands in decimal without leading zeros, e.g. `123+45=168`;
 * - reverse: `<s>><reversed s>`, e.g. `abc>cba`.
 * The prompt ends at `=` / `>`; the completion is the rest.
 */
export class SyntheticSource implements DataSource {
  private readonly options: Required<SyntheticSourceOptions>;

  constructor(options: SyntheticSourceOptions) {
    this.options = {
      output: 'text',
      minDigits: 1,
      maxDigits: 3,
      minLength: 1,
      maxLength: 8,
      alphabet: 'abcdefghijklmnopqrstuvwxyz',
      ...options,
    };
    validate(this.options);
  }

  /** The options; generated data depends on nothing else. */
  async fingerprint(): Promise<unknown> {
    return { synthetic: this.options };
  }

  /** Yields `count` records, identical on every pass. */
  async *[Symbol.asyncIterator](): AsyncIterator<DataRecord> {
    const o = this.options;
    const rng = new Rng(o.seed).fork(`synthetic:${o.task}`);
    const file = `synthetic:${o.task}`;
    for (let i = 0; i < o.count; i++) {
      const pair = generateSyntheticPair(rng, o);
      const origin = { file, line: i + 1 };
      if (o.output === 'chat') {
        yield { kind: 'chat', messages: [{ role: 'user', content: pair.prompt }, { role: 'assistant', content: pair.completion }], origin };
      } else if (o.output === 'pair') {
        yield { kind: 'text', text: pair.prompt + pair.completion, prompt: pair.prompt, completion: pair.completion, origin };
      } else {
        yield { kind: 'text', text: pair.prompt + pair.completion, origin };
      }
    }
  }
}

/** Draws one problem of `options.task` from `rng`. */
export function generateSyntheticPair(rng: Rng, options: Required<Omit<SyntheticSourceOptions, 'count' | 'seed' | 'output'>>): SyntheticPair {
  if (options.task === 'addition' || options.task === 'addition-preference') {
    const a = randomOperand(rng, options.minDigits, options.maxDigits);
    const b = randomOperand(rng, options.minDigits, options.maxDigits);
    return { prompt: `${a}+${b}=`, completion: String(a + b) };
  }
  const length = rng.intBetween(options.minLength, options.maxLength);
  const chars = Array.from(options.alphabet);
  let s = '';
  for (let i = 0; i < length; i++) s += chars[rng.int(chars.length)];
  return { prompt: `${s}>`, completion: Array.from(s).reverse().join('') };
}

/**
 * The correct completion for a prompt of `task` (`'12+30='` → `'42'`), or undefined if the prompt
 * is not in the task's format. Evaluation compares the model's output with this exactly.
 */
export function solveSynthetic(task: SyntheticTask, prompt: string): string | undefined {
  if (task === 'addition' || task === 'addition-preference') {
    const m = /^(\d+)\+(\d+)=$/.exec(prompt);
    return m === null ? undefined : String(Number(m[1]) + Number(m[2]));
  }
  if (!prompt.endsWith('>') || prompt.length < 2) return undefined;
  return Array.from(prompt.slice(0, -1)).reverse().join('');
}

function randomOperand(rng: Rng, minDigits: number, maxDigits: number): number {
  const digits = rng.intBetween(minDigits, maxDigits);
  const lo = digits === 1 ? 0 : 10 ** (digits - 1);
  const hi = 10 ** digits - 1;
  return lo + Math.floor(rng.float() * (hi - lo + 1));
}

function validate(o: Required<SyntheticSourceOptions>): void {
  const problems: string[] = [];
  if (!(SYNTHETIC_TASKS as readonly string[]).includes(o.task)) problems.push(`task '${o.task}' is unknown (supported: ${SYNTHETIC_TASKS.join(', ')})`);
  if (!['text', 'pair', 'chat'].includes(o.output)) problems.push(`output '${o.output}' is unknown (supported: text, pair, chat)`);
  if (!Number.isInteger(o.count) || o.count < 0) problems.push(`count must be a non-negative integer, got ${o.count}`);
  if (!Number.isInteger(o.minDigits) || o.minDigits < 1 || !Number.isInteger(o.maxDigits) || o.maxDigits < o.minDigits || o.maxDigits > 15) {
    problems.push(`minDigits/maxDigits must be integers with 1 <= minDigits <= maxDigits <= 15, got ${o.minDigits}/${o.maxDigits}`);
  }
  if (!Number.isInteger(o.minLength) || o.minLength < 1 || !Number.isInteger(o.maxLength) || o.maxLength < o.minLength) {
    problems.push(`minLength/maxLength must be integers with 1 <= minLength <= maxLength, got ${o.minLength}/${o.maxLength}`);
  }
  if (o.alphabet.length === 0 || o.alphabet.includes('>')) problems.push(`alphabet must be non-empty and must not contain '>'`);
  if (problems.length > 0) throw new FloeError(`Invalid synthetic source options: ${problems.join('; ')}.`);
}
