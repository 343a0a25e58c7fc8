import { createHash } from 'crypto';
import type { Communicator } from './communicator';
import { DistributedSetupError } from './distributed-errors';
import { broadcastText } from './text-collectives';

/**
 * Settings that may differ between ranks: what a rank shows and writes (only rank 0 writes the
 * run folder), how it waits, and its callbacks (their requests are ORed across ranks). Every other
 * setting shapes the steps or the math, so ranks that disagree on it would train a mixed run.
 */
const PER_RANK_SETTINGS = new Set([
  'quiet', 'progress', 'metricsLog', 'tensorboard', 'status', 'statusInterval', 'killSwitchFile', 'handleSignals',
  'report', 'description', 'outputDir', 'overwriteOutputDir', 'distributed', 'callbacks', 'checkpoint',
]);

/** Longest setting (as JSON) sent as itself; longer ones (inline data, layer lists) are sent as a hash. */
const SHOWN_LENGTH = 160;

/**
 * Each shared setting of a resolved recipe by its dotted path (`optimizer.lr`), as JSON, or as a
 * hash when long; lists are one entry each.
 */
export function recipeFingerprint(config: object): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (value: unknown, path: string): void => {
    if (value === undefined) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
      return;
    }
    const json = JSON.stringify(value) ?? String(value);
    out[path] = json.length <= SHOWN_LENGTH ? json : `sha256:${createHash('sha256').update(json).digest('hex')}`;
  };
  for (const [key, value] of Object.entries(config)) if (!PER_RANK_SETTINGS.has(key)) visit(value, key);
  return out;
}

/** The settings where `mine` differs from rank 0's fingerprint, described for an error message. */
export function recipeDifferences(mine: Record<string, string>, root: Record<string, string>): string[] {
  const keys = [...new Set([...Object.keys(root), ...Object.keys(mine)])].sort();
  const shown = (v: string | undefined): string => (v === undefined ? 'unset' : v.startsWith('sha256:') ? 'a different value' : v);
  return keys
    .filter((k) => mine[k] !== root[k])
    .map((k) => (mine[k]?.startsWith('sha256:') && root[k]?.startsWith('sha256:') ? `${k} differs` : `${k} is ${shown(mine[k])} here but ${shown(root[k])} on rank 0`));
}

/**
 * Fails on a rank whose resolved recipe differs from rank 0's in a setting that shapes training
 * (mpirun ranks given other --set flags, or another copy of the recipe on another host). Without
 * it such ranks train together silently: other batch sizes, learning rates or models mixed in one
 * run. One broadcast of rank 0's fingerprint at the start of the run.
 */
export async function checkSameRecipe(comm: Communicator, config: object): Promise<void> {
  if (comm.size <= 1) return;
  const mine = recipeFingerprint(config);
  const root = JSON.parse(await broadcastText(comm, JSON.stringify(mine), 0)) as Record<string, string>;
  const differences = recipeDifferences(mine, root);
  if (differences.length === 0) return;
  throw new DistributedSetupError(
    `Rank ${comm.rank}'s recipe differs from rank 0's: ${differences.join('; ')}. Every rank must train the same recipe: ` +
      `give every mpirun rank the same recipe file and --set flags (on several hosts, the same file at the same path).`,
  );
}
