import { ConfigError } from '../errors';
import { Rng } from '../random';

/** A source's mix settings, as its config holds them (both optional). */
export interface SourceMixSettings {
  /** Times each training record appears per epoch (default 1). */
  weight?: number;
  /** Read at most this many records, the first in file order (default: all). */
  maxRecords?: number;
}

/** What the mix did to one source's training records, for the run log. */
export interface SourceMixEntry {
  /** How the log names the source: its paths as written, or `synthetic addition`. */
  label: string;
  /** Training records of the source before weighting. */
  records: number;
  /** The source's weight. */
  weight: number;
  /** Training records after weighting: `Math.round(records × weight)`. */
  weighted: number;
}

/** Result of {@link mixSources}. */
export interface SourceMix<T> {
  /** The weighted training records, source by source. */
  train: T[];
  /** One entry per source, in source order. */
  entries: SourceMixEntry[];
}

/** Options of {@link mixSources}. */
export interface MixSourcesOptions<T> {
  /** The mix settings of each source, in source order. */
  sources: readonly SourceMixSettings[];
  /** How the log and errors name source `i` (see {@link sourceMixLabel}). */
  labels: readonly string[];
  /** Index of the source an item came from. */
  sourceOf: (item: T) => number;
  /** The recipe's seed: the fractional part of a weight picks its records from it and the source's index. */
  seed: number;
}

/**
 * Copies of `items` by `weight`: every item `floor(weight)` times (whole passes, in order, so
 * the copies of one item sit far apart before the epoch shuffle), then a seeded choice of
 * `Math.round(weight × n) − floor(weight) × n` items once more, in their input order.
 * `weight: 0.5` keeps a seeded half; `2.5` gives two passes and a seeded half.
 */
export function weightItems<T>(items: readonly T[], weight: number, rng: Rng): T[] {
  const passes = Math.floor(weight);
  const extra = Math.round(weight * items.length) - passes * items.length;
  const out: T[] = [];
  for (let p = 0; p < passes; p++) for (const item of items) out.push(item);
  if (extra <= 0) return out;
  const picked = rng.shuffle(Array.from({ length: items.length }, (_, i) => i)).slice(0, extra);
  picked.sort((a, b) => a - b);
  for (const i of picked) out.push(items[i]);
  return out;
}

/**
 * Applies each source's `weight` to the training records (after the train/eval split, so
 * copies never reach the eval split, which stays unweighted). The choice behind a fractional
 * weight is fixed by the seed and the source's index, so every rank and every resume builds the
 * same records. A source whose training records all round away is a ConfigError at its weight.
 */
export function mixSources<T>(train: readonly T[], options: MixSourcesOptions<T>): SourceMix<T> {
  const bySource: T[][] = options.sources.map(() => []);
  for (const item of train) bySource[options.sourceOf(item)].push(item);
  const out: T[] = [];
  const entries = bySource.map((items, i) => {
    const weight = options.sources[i].weight ?? 1;
    const weighted = weight === 1 ? [...items] : weightItems(items, weight, new Rng(options.seed).fork(`source-mix:${i}`));
    if (items.length > 0 && weighted.length === 0) throw zeroWeightError(i, options.labels[i], items.length, weight);
    for (const item of weighted) out.push(item);
    return { label: options.labels[i], records: items.length, weight, weighted: weighted.length };
  });
  return { train: out, entries };
}

function zeroWeightError(i: number, label: string, records: number, weight: number): ConfigError {
  // 1/n, rounded up to two significant digits, keeps one record for sure.
  const least = roundUp(1 / records);
  const n = records.toLocaleString('en-US');
  return new ConfigError([
    {
      path: `data.sources[${i}].weight`,
      message: `${weight} leaves none of the ${n} training record${records === 1 ? '' : 's'} of ${label} (${n} × ${weight} rounds to 0), so the source would add nothing: give a weight of at least ${least} (one record), or remove the source`,
    },
  ]);
}

/** `x` rounded up to two significant digits (0.00333 → 0.0034). */
function roundUp(x: number): number {
  const scale = 10 ** (1 - Math.floor(Math.log10(x)));
  return Math.ceil(x * scale - 1e-9) / scale;
}

/** `data mix: web.jsonl 10,000 train records × 0.5 → 5,000 (45%); code.jsonl 3,000 × 2 → 6,000 (55%)`, or undefined when every weight is 1. */
export function sourceMixNote(entries: readonly SourceMixEntry[]): string | undefined {
  if (entries.every((e) => e.weight === 1)) return undefined;
  const total = entries.reduce((sum, e) => sum + e.weighted, 0);
  const count = (n: number) => n.toLocaleString('en-US');
  const parts = entries.map((e, i) => {
    const share = total === 0 ? 0 : (100 * e.weighted) / total;
    const shown = share > 0 && share < 1 ? '<1' : `${Math.round(share)}`;
    return `${e.label} ${count(e.records)}${i === 0 ? ' train records' : ''} × ${e.weight} → ${count(e.weighted)} (${shown}%)`;
  });
  return `data mix: ${parts.join('; ')}`;
}

/** How the mix log names a source: its `paths` as written (`a.jsonl +2 more`), a synthetic task, or `data.sources[i] (type)`. */
export function sourceMixLabel(config: { type?: unknown; paths?: unknown; task?: unknown }, i: number): string {
  const paths = typeof config.paths === 'string' ? [config.paths] : Array.isArray(config.paths) ? config.paths.map(String) : [];
  if (paths.length === 1) return paths[0];
  if (paths.length > 1) return `${paths[0]} +${paths.length - 1} more`;
  if (config.type === 'synthetic' && typeof config.task === 'string') return `synthetic ${config.task}`;
  return `data.sources[${i}] (${String(config.type)})`;
}

/** Result of {@link readSourceRecords}. */
export interface ReadRecords<T> {
  /** The records read. */
  records: T[];
  /** True when the source had more than `maxRecords` and reading stopped there. */
  stopped: boolean;
}

/**
 * One pass over `source`, stopping after `maxRecords` records (the first in file order; one more
 * is read to know that there were more), so a quick run on a big file reads only its start.
 */
export async function readSourceRecords<T>(source: AsyncIterable<T>, maxRecords: number | undefined): Promise<ReadRecords<T>> {
  const records: T[] = [];
  for await (const record of source) {
    if (maxRecords !== undefined && records.length >= maxRecords) return { records, stopped: true };
    records.push(record);
  }
  return { records, stopped: false };
}
