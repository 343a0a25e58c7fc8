import { CheckpointError } from '../../errors';
import { TabularSchema } from './tabular-record';

/** Checkpoint file holding the data's columns and classes. */
export const DATA_SCHEMA_FILE = 'data-schema.json';

/** Format marker of `data-schema.json`. */
export const DATA_SCHEMA_FORMAT = 'floe-tabular-schema';

/** The schema as saved in `data-schema.json`. */
export function toSchemaFile(schema: TabularSchema): Record<string, unknown> {
  return { format: DATA_SCHEMA_FORMAT, version: 1, ...schema };
}

/** Reads `data-schema.json` content back, checking its shape; `file` names it in errors. */
export function parseSchemaFile(value: unknown, file: string): TabularSchema {
  const v = value as Record<string, unknown> | null;
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');
  if (v === null || typeof v !== 'object' || v.format !== DATA_SCHEMA_FORMAT) {
    throw new CheckpointError(`${file} is not a Floe tabular schema file (expected "format": "${DATA_SCHEMA_FORMAT}")`);
  }
  const kindOk = v.targetKind === 'values' || v.targetKind === 'class-id';
  const classesOk = v.targetKind !== 'class-id' || (typeof v.numClasses === 'number' && Number.isInteger(v.numClasses) && v.numClasses >= 2);
  if (!strings(v.featureNames) || !strings(v.targetNames) || !kindOk || !classesOk || (v.classNames !== undefined && !strings(v.classNames))) {
    throw new CheckpointError(`${file} must hold featureNames, targetNames, targetKind (values or class-id) and, for class ids, numClasses >= 2`);
  }
  return {
    featureNames: [...v.featureNames],
    targetNames: [...v.targetNames],
    targetKind: v.targetKind as TabularSchema['targetKind'],
    numClasses: v.numClasses as number | undefined,
    classNames: v.classNames === undefined ? undefined : [...(v.classNames as string[])],
  };
}
