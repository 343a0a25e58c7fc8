import { FileColumnsOptions, RowReader } from './row-reader';
import { TabularRecord, TabularSource, TargetKind } from './tabular-record';

/** Shared by the file-based tabular sources: the column schema comes from the options. */
export abstract class FileTabularSource<O extends FileColumnsOptions> implements TabularSource {
  /** Feature column names, in order. */
  readonly featureNames: string[];
  /** Target column names, in order. */
  readonly targetNames: string[];
  /** Regression or classification targets. */
  readonly targetKind: TargetKind;
  /** Class names, when label cells hold names. */
  readonly classNames?: string[];

  constructor(
    /** The source's options (paths, columns, ...). */
    protected readonly options: O,
  ) {
    const columns = new RowReader(options);
    this.featureNames = columns.featureNames;
    this.targetNames = columns.targetNames;
    this.targetKind = columns.targetKind;
    this.classNames = columns.classNames;
  }

  /** The rows of every file, in order. */
  abstract records(): AsyncIterable<TabularRecord>;
}
