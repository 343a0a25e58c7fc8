import * as fs from 'fs/promises';
import * as path from 'path';
import { jsonErrorMessage, jsonErrorPosition } from '../data/json-position';
import { CheckpointError } from '../errors';
import type { TrainerState } from '../trainer/trainer-state';
import { TRAINER_STATE_FILE } from './checkpoint-layout';
import { TRAINER_STATE_FORMAT, formatProblems, showJsonValue as show } from './file-format';
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
  const problems = formatProblems(parsed, TRAINER_STATE_FORMAT);
  // Another kind of file, or a newer Floe's state whose fields may mean something else: the rest would only mislead.
  if (problems.length > 0) return problems;
  const metrics: unknown = parsed.metrics;
  if (metrics !== undefined && (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics))) problems.push('metrics must be an object of metric values');
  const s = parsed.state as Partial<TrainerState> | undefined;
  if (typeof s !== 'object' || s === null) return [...problems, 'state is missing'];
  for (const key of ['globalStep', 'epochIndex', 'batchInEpoch', 'samplesSeen', 'tokensSeen'] as const) {
    if (!isCount(s[key])) problems.push(`state.${key} is ${show(s[key])}, expected a non-negative integer`);
  }
  const rng = s.rng;
  if (typeof rng !== 'object' || rng === null || !Array.isArray(rng.s) || rng.s.length !== 4 || !rng.s.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
    problems.push('state.rng.s must be 4 unsigned 32-bit integers');
  } else if (rng.s.every((v) => v === 0)) {
    // xoshiro never reaches the all-zero state, and from it gives only zeros (every dropout mask alike).
    problems.push('state.rng.s is all zeros, a state the generator never reaches (it would give only zeros)');
  }
  if (typeof rng === 'object' && rng !== null && !isOptionalFinite(rng.spareNormal, { orNull: true })) {
    problems.push(`state.rng.spareNormal is ${show(rng.spareNormal)}, expected null or a finite number`);
  }
  if (!isOptionalFinite(s.bestMetric)) problems.push(`state.bestMetric is ${show(s.bestMetric)}, expected a finite number or no field`);
  return [...problems, ...checkOther(parsed, s)];
}

/** The fields beside `state`: metric values, the scheduler position (at `state.globalStep`) and the recipe folder. */
function checkOther(parsed: Partial<TrainerStateFile>, s: Partial<TrainerState>): string[] {
  const problems: string[] = [];
  const metrics: unknown = parsed.metrics;
  if (typeof metrics === 'object' && metrics !== null && !Array.isArray(metrics)) {
    // JSON writes a NaN or infinite metric (a diverged loss) as null.
    for (const [name, v] of Object.entries(metrics)) if (v !== null && typeof v !== 'number') problems.push(`metrics.${name} is ${show(v)}, expected a number (null for a non-finite one)`);
  }
  const scheduler: unknown = parsed.scheduler;
  if (scheduler !== undefined) {
    if (typeof scheduler !== 'object' || scheduler === null || Array.isArray(scheduler)) problems.push(`scheduler is ${show(scheduler)}, expected { step, lastLr } or no field`);
    else {
      const { step, lastLr } = scheduler as Partial<SchedulerPosition>;
      if (step !== s.globalStep && isCount(s.globalStep)) problems.push(`scheduler.step is ${show(step)}, expected state.globalStep (${show(s.globalStep)})`);
      if (typeof lastLr !== 'number' || !Number.isFinite(lastLr) || lastLr < 0) problems.push(`scheduler.lastLr is ${show(lastLr)}, expected a finite number >= 0`);
    }
  }
  const recipeDir: unknown = parsed.recipeDir;
  if (recipeDir !== undefined && (typeof recipeDir !== 'string' || recipeDir === '')) problems.push(`recipeDir is ${show(recipeDir)}, expected the recipe's folder (a non-empty string) or no field`);
  return problems;
}

/** Undefined, a finite number, or (with `orNull`) null. */
function isOptionalFinite(x: unknown, options: { orNull?: boolean } = {}): boolean {
  return x === undefined || (x === null && options.orNull === true) || (typeof x === 'number' && Number.isFinite(x));
}

/**
 * Reads and checks `trainer-state.json` of checkpoint folder `dir`.
 * @throws CheckpointError naming the file and every problem found.
 */
export async function readTrainerStateFile(dir: string): Promise<TrainerStateFile> {
  const file = path.join(dir, TRAINER_STATE_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new CheckpointError(`Cannot read trainer state '${file}': ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const at = jsonErrorPosition(text, error);
    const where = at === undefined ? file : `${file}:${at.line}:${at.col}`;
    throw new CheckpointError(`Trainer state '${where}' is not valid JSON: ${jsonErrorMessage(error)}. It is written with the checkpoint: this one is damaged or was edited by hand.`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError(`Invalid trainer state '${file}': expected a JSON object with format, version and state, got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}.`);
  }
  const state = parsed as Partial<TrainerStateFile>;
  const problems = checkState(state);
  if (problems.length > 0) throw new CheckpointError(`Invalid trainer state '${file}': ${problems.join('; ')}.`);
  return { ...state, metrics: state.metrics ?? {} } as TrainerStateFile;
}
