import type { Argv } from 'yargs';
import { UsageError } from './usage-error';
import { parseContext } from './usage-messages';

/**
 * yargs turns a one-value flag given twice (`--checkpoint a --checkpoint b`) into an array, which
 * a command then read as one path ("a,b") or crashed on. Refuses it instead, naming the values:
 * which one was meant is the user's call, not ours. Repeatable flags (`array: true`) and booleans
 * (yargs keeps one) pass.
 */
export function refuseRepeatedFlags(parser: Argv, args: Record<string, unknown>): void {
  const options = (parser as unknown as { getOptions?: () => { key?: Record<string, unknown>; array?: string[] } }).getOptions?.();
  if (options === undefined) return;
  const repeatable = new Set(options.array ?? []);
  const repeated = Object.keys(options.key ?? {}).filter((name) => !repeatable.has(name) && Array.isArray(args[name]));
  if (repeated.length === 0) return;
  const lines = repeated.map((name) => {
    const values = (args[name] as unknown[]).map((v) => `'${String(v)}'`).join(', ');
    return `--${name} was given ${(args[name] as unknown[]).length} times (${values}); it takes one value: give it once.`;
  });
  throw new UsageError(lines.join(' '), parseContext(parser).command);
}
