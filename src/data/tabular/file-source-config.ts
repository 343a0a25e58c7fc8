import { ArrayMinSize, IsArray, IsNotEmpty, IsOptional, IsString, registerDecorator, ValidationArguments } from 'class-validator';
import { PathList } from '../sources/paths-field';
import { TabularSourceConfig } from './tabular-source-factory';
import { IsPath } from '../../config/is-path';

/**
 * Checks the column choice of a file source: `targets` (a list of names) or `label` (exactly
 * one), no column used twice, and `classes` only with `label`. Pure: looks at the config only.
 */
function TargetColumns(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'targetColumns',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate(_value: unknown, args: ValidationArguments): boolean {
          return columnProblem(args.object as TabularFileSourceConfig) === undefined;
        },
        defaultMessage(args: ValidationArguments): string {
          return columnProblem(args.object as TabularFileSourceConfig) ?? '';
        },
      },
    });
  };
}

function columnProblem(c: TabularFileSourceConfig): string | undefined {
  if (c.targets !== undefined && (!Array.isArray(c.targets) || c.targets.length === 0 || c.targets.some((t) => typeof t !== 'string' || t === ''))) {
    return `must be a non-empty list of column names, got ${JSON.stringify(c.targets)}`;
  }
  const hasTargets = c.targets !== undefined;
  const hasLabel = c.label !== undefined;
  if (hasTargets && hasLabel) return "give either 'targets: [columns]' (values) or 'label: column' (class ids), not both";
  if (!hasTargets && !hasLabel) return "missing: give 'targets: [columns]' (regression, one-hot or 0/1 values) or 'label: column' (class ids)";
  if (c.classes !== undefined && !hasLabel) return "'classes' names the classes of a 'label' column; this source has 'targets' instead";
  const all = [...(Array.isArray(c.features) ? c.features : []), ...(c.targets ?? []), ...(hasLabel ? [c.label as string] : [])];
  const repeated = all.filter((name, i) => all.indexOf(name) !== i);
  if (repeated.length > 0) return `column '${repeated[0]}' is used twice; each column is a feature or a target, once`;
  return undefined;
}

/** Settings shared by the file sources (`csv`, `jsonl`): which files and which columns. */
export class TabularFileSourceConfig extends TabularSourceConfig {
  /**
   * Files, folders or globs, relative to the recipe; a single string is fine. A folder gives its
   * .csv and .tsv files to a `csv` source, its .jsonl and .ndjson files to a `jsonl` source.
   */
  @PathList()
  @IsArray()
  @ArrayMinSize(1)
  @IsPath({ each: true })
  paths!: string[];

  /** Feature columns, in the order the model sees them. */
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  @IsNotEmpty({ each: true, message: 'column names must not be empty' })
  features!: string[];

  /** Target columns holding numbers (regression, one-hot or 0/1 outputs); or use `label`. */
  // One validator checks the list and its relation to `label`, so a missing pair is one message.
  @TargetColumns()
  targets?: string[];

  /** One column holding a class id 0..C−1 (or a name from `classes`), for classification. */
  @IsOptional()
  @IsString()
  @IsNotEmpty({ message: 'a column name must not be empty' })
  label?: string;

  /** Class names in id order; a label cell may then hold a name instead of an id. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(2)
  @IsString({ each: true })
  classes?: string[];
}
