import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError } from '../errors';
import type { TrainerState } from '../trainer/trainer-state';
import { TRAINER_STATE_FILE } from './checkpoint-layout';
import type { SavedRunShape } from './saved-run-shape';

/** Where the learning-rate schedule stands; a schedule is a pure function of the optimizer step. */
export interface SchedulerPosition {
  /** Step the schedule is evaluated at next (equals `state.globalStep`). */
  step: number;
  /** Learning rate of the last optimizer step (informational). */
  lastLr: number;
}

/** Content of `trainer-state.json` inside a Floe checkpoint. */
export interface TrainerStateFile {
  /** Format marker. */
  format: 'floe-trainer-state';
  /** Format version. */
  version: 1;
  /** Global step, epoch, position in the epoch's data order, RNG state, best metric, counters. */
  state: TrainerState;
  /** Metric values at save time (for keepBest and the resumed run's result). */
  metrics: Record<string, number>;
  /** Scheduler position (absent in checkpoints written before it was recorded). */
  scheduler?: SchedulerPosition;
  /** Folder of the recipe the run was started from; relative recipe paths resolve against it. */
  recipeDir?: string;
  /** Ranks, batching and length of the run that saved it (absent in older checkpoints: unknown; checked by `checkSavedRunShape`). */
  run?: SavedRunShape;
}

function isCount(x: unknown): boolean {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Problems with a parsed trainer state, empty when it is usable. */
function checkState(parsed: Partial<TrainerStateFile>): string[] {
  const problems: string[] = [];
  if (parsed.format !== 'floe-trainer-state') problems.push(`format is ${JSON.stringify(parsed.format)}, expected "floe-trainer-state"`);
  if (parsed.version !== 1) problems.push(`version is ${JSON.stringify(parsed.version)}, expected 1`);
  const metrics: unknown = parsed.metrics;
  if (metrics !== undefined && (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics))) problems.push('metrics must be an object of metric values');
  const s = parsed.state as Partial<TrainerState> | undefined;
  if (typeof s !== 'object' || s === null) return [...problems, 'state is missing'];
  for (const key of ['globalStep', 'epochIndex', 'batchInEpoch', 'samplesSeen', 'tokensSeen'] as const) {
    if (!isCount(s[key])) problems.push(`state.${key} is ${JSON.stringify(s[key])}, expected a non-negative integer`);
  }
  const rng = s.rng;
  if (typeof rng !== 'object' || rng === null || !Array.isArray(rng.s) || rng.s.length !== 4 || !rng.s.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
    problems.push('state.rng.s must be 4 unsigned 32-bit integers');
  }
  return problems;
}

/**
 * Reads and checks `trainer-state.json` of checkpoint folder `dir`.
 * @throws CheckpointError naming the file and every problem found.
 */
export async function readTrainerStateFile(dir: string): Promise<TrainerStateFile> {
  const file = path.join(dir, TRAINER_STATE_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new CheckpointError(`Cannot read trainer state '${file}': ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError(`Invalid trainer state '${file}': expected a JSON object with format, version and state, got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}.`);
  }
  const state = parsed as Partial<TrainerStateFile>;
  const problems = checkState(state);
  if (problems.length > 0) throw new CheckpointError(`Invalid trainer state '${file}': ${problems.join('; ')}.`);
  return { ...state, metrics: state.metrics ?? {} } as TrainerStateFile;
}
