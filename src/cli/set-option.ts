import type { Argv } from 'yargs';

/**
 * Adds `--set key.path=value` to a command that reads a recipe (`train`, `validate`, `evaluate`); other
 * commands refuse it as an unknown flag rather than ignore it.
 */
export function withSetOption(y: Argv): Argv {
  // nargs 1: each --set takes one value, so `--set a=1 recipe.yaml` leaves the recipe positional alone.
  return y.option('set', { type: 'string', array: true, nargs: 1, describe: 'Override a recipe value: --set optimizer.lr=1e-3 (repeatable)' });
}
