import { DataError } from '../../errors';
import { formatOrigin, RecordOrigin } from '../data-record';
import { checkNumberRange, missingColumnProblem, parseLabelCell, parseNumberCell } from './tabular-cells';
import { TabularColumns, TabularRecord, TargetKind } from './tabular-record';

/** Which columns a file source reads. */
export interface FileColumnsOptions {
  /** Feature columns, in order. */
  features: string[];
  /** Target columns holding numbers; exclusive with `label`. */
  targets?: string[];
  /** One column of class ids (or names from `classes`); exclusive with `targets`. */
  label?: string;
  /** Class names in id order. */
  classes?: string[];
  /** Config path of the source, e.g. `data.sources[0]`, for messages. */
  configPath?: string;
}

/**
 * Turns the cells of one row (looked up by column name) into a {@link TabularRecord}, with
 * errors naming file:line and the column. Shared by the CSV and JSONL sources.
 */
export class RowReader implements TabularColumns {
  readonly featureNames: string[];
  readonly targetNames: string[];
  readonly targetKind: TargetKind;
  readonly classNames?: string[];

  constructor(private readonly options: FileColumnsOptions) {
    this.featureNames = [...options.features];
    this.targetKind = options.label === undefined ? 'values' : 'class-id';
    this.targetNames = options.label === undefined ? [...(options.targets ?? [])] : [options.label];
    this.classNames = options.classes === undefined ? undefined : [...options.classes];
    if (this.targetNames.length === 0) throw new DataError(`${options.configPath ?? 'source'}: give 'targets' or 'label'`);
  }

  /**
   * Checks every configured column is among `available`; throws naming the first missing one,
   * at `location` (file:line) in `container` (`the header`, `this record`).
   */
  bindColumns(available: readonly string[], location: string, container: string): void {
    const at = this.options.configPath ?? 'source';
    const wanted: Array<[string, string, string]> = [
      ...this.featureNames.map((c, i): [string, string, string] => [c, 'feature', `${at}.features[${i}]`]),
      ...(this.targetKind === 'class-id'
        ? [[this.targetNames[0], 'label', `${at}.label`] as [string, string, string]]
        : this.targetNames.map((c, i): [string, string, string] => [c, 'target', `${at}.targets[${i}]`])),
    ];
    for (const [column, role, configPath] of wanted) {
      if (!available.includes(column)) throw new DataError(missingColumnProblem({ column, role, configPath, available, location, container }));
    }
  }

  /**
   * Reads one row; `cell(column)` gives the raw cell (undefined when the row lacks the column),
   * `place(column)` where it is (file:line:col) when the source knows, for messages.
   */
  read(cell: (column: string) => string | number | undefined, origin: RecordOrigin, place?: (column: string) => string): TabularRecord {
    const at = (column: string): string => place?.(column) ?? formatOrigin(origin);
    const number = (column: string): number => {
      const raw = cell(column);
      const value = typeof raw === 'number' ? checkNumberRange(raw, column) : parseNumberCell(raw ?? '', column);
      if (typeof value === 'string') throw new DataError(`${at(column)}: ${value}`);
      return value;
    };
    const features = this.featureNames.map(number);
    if (this.targetKind === 'values') return { features, targets: this.targetNames.map(number), origin };
    const column = this.targetNames[0];
    const raw = cell(column);
    const id = parseLabelCell(raw ?? '', column, this.classNames);
    if (typeof id === 'string') throw new DataError(`${at(column)}: ${id}`);
    return { features, targets: [id], origin };
  }
}
