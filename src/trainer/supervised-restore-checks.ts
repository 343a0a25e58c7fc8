import { CheckpointError, FloeError } from '../errors';
import { NORMALIZATION_FILE } from '../data/tabular/normalization-file-name';
import type { NormalizationStats } from '../data/tabular/normalization-stats';
import type { TabularSchema } from '../data/tabular/tabular-record';
import { DATA_SCHEMA_FILE } from '../data/tabular/tabular-schema-file';

/**
 * Checks that the data gives the features a checkpoint's model was trained on, in its order: the
 * model reads columns by position, so the same columns in another order would load silently and
 * feed each input another column. Renamed columns in the same places pass (a renamed CSV header).
 * @throws FloeError naming both lists.
 */
export function checkFeatureOrder(saved: readonly string[], current: readonly string[]): void {
  if (saved.length !== current.length) {
    throw new FloeError(`the checkpoint's model takes ${saved.length} features (${saved.join(', ')}), but the data gives ${current.length}`);
  }
  const moved = current.filter((name, i) => saved.includes(name) && saved[i] !== name);
  if (moved.length === 0) return;
  throw new FloeError(
    `the checkpoint's model takes its features in the order (${saved.join(', ')}), but the data gives (${current.join(', ')}): ` +
      `${moved.map((n) => `'${n}'`).join(', ')} would feed another input. List the features in the checkpoint's order (data.sources[].features).`,
  );
}

/**
 * Checks that a checkpoint's normalization `saved` has stats for what the run standardizes now
 * (`current`, from the data): without them the model would be fed, and trained against, values in
 * other units than it learned, silently.
 * @throws CheckpointError naming the file and the missing stats.
 */
export function checkNormalizationKept(saved: NormalizationStats, current: NormalizationStats): void {
  const lost = [
    ...(current.features !== undefined && saved.features === undefined ? ['features (data.normalizeFeatures)'] : []),
    ...(current.targets !== undefined && saved.targets === undefined ? ['targets (data.normalizeTargets)'] : []),
  ];
  if (lost.length === 0) return;
  throw new CheckpointError(
    `${NORMALIZATION_FILE} has no stats for the ${lost.join(' or ')}, which the recipe standardizes: the model would see values in other units than it was trained on. ` +
      `A run writes the stats of everything it standardizes, so the file is damaged or was edited by hand: use another checkpoint of the run.`,
  );
}

/**
 * Checks that a checkpoint's normalization `stats` are for the columns of its schema, in order:
 * the stats apply by position, so feature stats of other columns (or the same in another order)
 * would standardize each input with another column's mean and std, silently. A run writes both
 * files from the same data, so a mismatch is a hand edit or files of two checkpoints.
 * @throws CheckpointError naming both files and both column lists.
 */
export function checkNormalizationColumns(stats: NormalizationStats, schema: TabularSchema): void {
  const problems: string[] = [];
  const compare = (kind: 'features' | 'targets', stat: readonly string[] | undefined, columns: readonly string[]): void => {
    if (stat === undefined || (stat.length === columns.length && stat.every((name, i) => name === columns[i]))) return;
    problems.push(`its ${kind} stats are for (${stat.join(', ')}) but ${DATA_SCHEMA_FILE} gives the ${kind} (${columns.join(', ')})`);
  };
  compare('features', stats.features?.names, schema.featureNames);
  if (schema.targetKind === 'values') compare('targets', stats.targets?.names, schema.targetNames);
  if (problems.length === 0) return;
  throw new CheckpointError(
    `${NORMALIZATION_FILE} does not match ${DATA_SCHEMA_FILE}: ${problems.join('; ')}. The stats apply by position, so each column would be standardized with another's mean and std. ` +
      `A run writes both files from the same data, so one was edited by hand or copied from another checkpoint: use another checkpoint of the run.`,
  );
}
