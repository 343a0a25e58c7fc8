import * as fs from 'fs/promises';
import * as path from 'path';
import { jsonErrorMessage, jsonErrorPosition } from '../data/json-position';
import { CheckpointError } from '../errors';
import { atomicWriteFile } from './io/atomic-write-file';

/** Files every floe checkpoint writes itself; a trainer's extra files may not take these names. */
const RESERVED_NAMES = ['trainer-state.json', 'manifest.json', 'model-config.json'];

/** `normalization.json`: a plain `.json` file name, no folders. */
const EXTRA_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.json$/;

/** Checks the name of a trainer's extra checkpoint file; throws naming the rule. */
export function checkExtraCheckpointFileName(name: string): void {
  if (!EXTRA_FILE_PATTERN.test(name) || RESERVED_NAMES.includes(name)) {
    throw new CheckpointError(
      `Extra checkpoint file name '${name}' is not allowed: use a plain file name ending in .json (like normalization.json), not one of ${RESERVED_NAMES.join(', ')}`,
    );
  }
}

/** Writes each `name → value` as pretty JSON into checkpoint folder `dir` (atomically per file). */
export async function writeExtraCheckpointFiles(dir: string, files: Record<string, unknown>): Promise<void> {
  for (const [name, value] of Object.entries(files)) {
    checkExtraCheckpointFileName(name);
    await atomicWriteFile(path.join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  }
}

/**
 * Reads the files `names` from checkpoint folder `dir`, parsed; a missing file is left out (older
 * checkpoints), an unreadable or malformed one is a {@link CheckpointError} naming it.
 */
export async function readExtraCheckpointFiles(dir: string, names: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    checkExtraCheckpointFileName(name);
    const file = path.join(dir, name);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new CheckpointError(`Cannot read ${file}: ${(error as Error).message}`);
    }
    try {
      out[name] = JSON.parse(text);
    } catch (error) {
      const at = jsonErrorPosition(text, error);
      const where = at === undefined ? file : `${file}:${at.line}:${at.col}`;
      throw new CheckpointError(`${where}: not valid JSON: ${jsonErrorMessage(error)}. The checkpoint wrote it as JSON, so it is damaged or was edited by hand: use another checkpoint, or an intact copy of this one.`);
    }
  }
  return out;
}
