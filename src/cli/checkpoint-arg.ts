/** Commands that read one checkpoint and may name it first, without the flag. */
const CHECKPOINT_FIRST = ['generate', 'export', 'predict'];

/**
 * `floe generate runs/x --prompt hi` (as `floe evaluate runs/x` reads a run) is
 * `floe generate --checkpoint runs/x --prompt hi`. Only the word right after the command counts:
 * a bare word further on stays a stray word (`--prompt a b` must not read `b` as a checkpoint).
 * Rewritten before yargs parses, so `--checkpoint` given as well is refused as a flag given twice,
 * and every message about the checkpoint speaks of `--checkpoint` as before.
 */
export function checkpointFirst(argv: readonly string[]): string[] {
  const at = argv.findIndex((a) => !a.startsWith('-'));
  const word = argv[at + 1];
  if (at < 0 || !CHECKPOINT_FIRST.includes(argv[at]) || word === undefined || word.startsWith('-')) return [...argv];
  return [...argv.slice(0, at + 1), '--checkpoint', word, ...argv.slice(at + 2)];
}
