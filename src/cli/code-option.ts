import type { Argv } from 'yargs';
import { resolveModuleSpec } from '../config/module-spec';
import { loadPlugins } from '../config/plugins';
import { SourceMap } from '../config/source-map';
import { ConfigError } from '../errors';

/** Adds `--code <plugin>` (repeatable) to a command that lists what plugins register (`list`, `schema`). */
export function withCodeOption(y: Argv, describe: string): Argv {
  // nargs 1: each --code takes one module, so `floe list --code ./p.js trainer` leaves the kind positional alone.
  return y.option('code', { type: 'string', array: true, nargs: 1, describe });
}

/** Imports the `--code` plugins (relative to the working folder); a failure names the flag, not a recipe's `code:`. */
export async function loadCodePlugins(code: readonly string[]): Promise<void> {
  if (code.length === 0) return;
  const sourceMap = new SourceMap();
  code.forEach((spec, i) => sourceMap.values.set(`code[${i}]`, { file: `--code ${spec}`, line: 0, col: 0 }));
  try {
    await loadPlugins({ code: code.map((spec) => resolveModuleSpec(spec, process.cwd())) }, sourceMap, process.cwd());
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.issues, 'Cannot load --code plugins');
    throw error;
  }
}
