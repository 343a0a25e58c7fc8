import * as fs from 'fs/promises';
import * as path from 'path';
import { stepDirName } from './checkpoint-layout';
import { findCheckpoints } from './find-checkpoints';
import { MANIFEST_FILE_NAME } from './io/write-manifest';
import { isProcessAlive } from './stale-temp-dirs';

/** A save that never finished, found beside complete checkpoints. */
export interface IncompleteSave {
  /** Folder name: `step-000044` (no manifest) or `.step-000044.tmp-<pid>-<hex>` (a dead process's temp folder). */
  name: string;
  /** Optimizer step it was saving. */
  step: number;
}

/** A complete or incomplete checkpoint folder's name: `step-000044`. */
export const STEP_DIR_PATTERN = /^step-(\d+)$/;
// Temp folders of live processes are saves in progress (this run's other ranks, or a run still going).
const TEMP_PATTERN = /^\.step-(\d+)\.tmp-(\d+)-[0-9a-f]+$/;

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/**
 * Saves under `root` that did not finish: `step-N` folders without a manifest (the file a save
 * writes last) and temp folders whose process is gone. Newest step first.
 */
export async function findIncompleteSaves(root: string): Promise<IncompleteSave[]> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const found: IncompleteSave[] = [];
  for (const name of names) {
    const step = STEP_DIR_PATTERN.exec(name);
    if (step !== null && !(await exists(path.join(root, name, MANIFEST_FILE_NAME)))) found.push({ name, step: Number(step[1]) });
    const temp = TEMP_PATTERN.exec(name);
    if (temp !== null && !isProcessAlive(Number(temp[2]))) found.push({ name, step: Number(temp[1]) });
  }
  return found.sort((a, b) => b.step - a.step);
}

/**
 * Says which incomplete saves newer than the checkpoint `dir` (a `step-N` folder) sit beside it,
 * so a resume or load that falls back past them says what it skipped; undefined when none do.
 */
export async function skippedSavesNote(dir: string): Promise<string | undefined> {
  const own = STEP_DIR_PATTERN.exec(path.basename(dir));
  if (own === null) return undefined;
  const step = Number(own[1]);
  const root = path.dirname(dir);
  // Only when it is the newest complete one: an older checkpoint chosen on purpose skipped nothing.
  if ((await findCheckpoints(root))[0]?.step !== step) return undefined;
  const newer = (await findIncompleteSaves(root)).filter((s) => s.step > step);
  if (newer.length === 0) return undefined;
  const list = newer.map((s) => `${s.name} (step ${s.step})`).join(', ');
  const one = newer.length === 1;
  return (
    `skipped ${one ? 'an incomplete save' : `${newer.length} incomplete saves`} newer than ${stepDirName(step)}: ${list}; ` +
    `${one ? 'it has' : 'they have'} no ${MANIFEST_FILE_NAME}, the file a save writes last, so the save stopped midway (a killed process) ` +
    `or the folder was copied in part, and cannot be verified. ` +
    `Loaded ${stepDirName(step)}, the newest complete checkpoint before it.`
  );
}
