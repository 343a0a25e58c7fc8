import { RecordOrigin } from '../data-record';

/**
 * How targets are stored: `values` (real numbers, one per target column; regression, one-hot or
 * 0/1 outputs) or `class-id` (one label column holding a class id 0..C−1).
 */
export type TargetKind = 'values' | 'class-id';

/** One row of tabular data. */
export interface TabularRecord {
  /** Feature values, in the source's feature column order. */
  features: number[];
  /** Target values; for `class-id` targets, a single class id. */
  targets: number[];
  /** Where the row came from (file:line), for error messages. */
  origin: RecordOrigin;
}

/** The columns rows carry. */
export interface TabularColumns {
  /** Feature column names, in order. */
  featureNames: string[];
  /** Target column names (the label column for `class-id` targets). */
  targetNames: string[];
  /** How targets are stored. */
  targetKind: TargetKind;
  /** Class names in id order, when the source knows them. */
  classNames?: string[];
}

/** A tabular data source: its columns and a stream of rows (iterating again starts over). */
export interface TabularSource extends TabularColumns {
  /** The rows, in file (or generation) order. */
  records(): AsyncIterable<TabularRecord>;
}

/** What a trained model was fed and predicts; saved with checkpoints as `data-schema.json`. */
export interface TabularSchema extends TabularColumns {
  /** Number of classes, for `class-id` targets. */
  numClasses?: number;
}
