import { CheckpointError } from '../../errors';

/** Per-column mean and standard deviation. */
export interface ColumnStats {
  /** Column names, in order. */
  names: string[];
  /** Mean of each column. */
  mean: number[];
  /** Population standard deviation of each column (1 for a constant column, so it divides safely). */
  std: number[];
}

/**
 * Normalization applied by the supervised training loop: `(x − mean) / std` on features and
 * (regression only) on targets. Computed on the train split only; saved with checkpoints.
 */
export interface NormalizationStats {
  /** Feature statistics, when features are normalized. */
  features?: ColumnStats;
  /** Target statistics, when targets are normalized. */
  targets?: ColumnStats;
}

/** A standard deviation below this counts as a constant column (its std becomes 1). */
const MIN_STD = 1e-12;

/** Mean and population std of each column of `rows` (two passes, in float64). */
export function computeColumnStats(rows: readonly (readonly number[])[], names: readonly string[]): ColumnStats {
  const n = rows.length;
  const mean = names.map(() => 0);
  const std = names.map(() => 1);
  if (n === 0) return { names: [...names], mean, std };
  for (const row of rows) for (let j = 0; j < names.length; j++) mean[j] += row[j];
  for (let j = 0; j < names.length; j++) mean[j] /= n;
  const sq = names.map(() => 0);
  for (const row of rows) for (let j = 0; j < names.length; j++) sq[j] += (row[j] - mean[j]) ** 2;
  for (let j = 0; j < names.length; j++) {
    const s = Math.sqrt(sq[j] / n);
    std[j] = s < MIN_STD ? 1 : s;
  }
  return { names: [...names], mean, std };
}

/** Format marker of `normalization.json`. */
export const NORMALIZATION_FORMAT = 'floe-normalization';

/** The content of a checkpoint's `normalization.json`. */
export interface NormalizationFile extends NormalizationStats {
  /** Marks the file as Floe normalization stats. */
  format: typeof NORMALIZATION_FORMAT;
  /** File format version. */
  version: 1;
}

/** Stats as saved in `normalization.json`. */
export function toNormalizationFile(stats: NormalizationStats): NormalizationFile {
  return { format: NORMALIZATION_FORMAT, version: 1, ...stats };
}

/** Reads `normalization.json` content back, checking its shape; `file` names it in errors. */
export function parseNormalizationFile(value: unknown, file: string): NormalizationStats {
  const v = value as Partial<NormalizationFile> | null;
  if (v === null || typeof v !== 'object' || v.format !== NORMALIZATION_FORMAT) {
    throw new CheckpointError(`${file} is not a Floe normalization file (expected "format": "${NORMALIZATION_FORMAT}")`);
  }
  return { features: parseColumnStats(v.features, `${file}: features`), targets: parseColumnStats(v.targets, `${file}: targets`) };
}

function parseColumnStats(value: unknown, where: string): ColumnStats | undefined {
  if (value === undefined || value === null) return undefined;
  const s = value as Partial<ColumnStats>;
  const isNumbers = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  const ok = Array.isArray(s.names) && s.names.every((x) => typeof x === 'string') && isNumbers(s.mean) && isNumbers(s.std);
  if (!ok || s.mean?.length !== s.names?.length || s.std?.length !== s.names?.length || s.std?.some((x) => x <= 0)) {
    throw new CheckpointError(`${where} must hold names, mean and std of equal length (std > 0)`);
  }
  return { names: [...(s.names as string[])], mean: [...(s.mean as number[])], std: [...(s.std as number[])] };
}
