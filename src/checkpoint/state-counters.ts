import { isMethodCallbackWrapper } from '../trainer/method-callbacks';
import type { TrainerState } from '../trainer/trainer-state';
import type { SavedRunShape } from './saved-run-shape';

/** What {@link checkStateCounters} found: contradictions no save writes, and ones only a change of batching explains. */
export interface StateCounterProblems {
  /** Relations every save of Floe's training loop keeps, broken: the file was edited or is damaged. */
  errors: string[];
  /** Relations a save keeps while the run's batching stays the same, broken: a resume with another global batch before this save, or an edit. */
  warnings: string[];
}

/** Options of {@link checkStateCounters}. */
export interface StateCounterOptions {
  /** Ranks, batching and length of the run that saved the state (its `run` field); undefined in older checkpoints. */
  shape?: SavedRunShape;
  /**
   * The trainer runs Floe's own epoch, step and optimizer-step code. A trainer that overrides one
   * of them may count otherwise (skip whole epochs, count examples itself): its contradictions are
   * only warned about.
   */
  builtInLoop: boolean;
}

function steps(n: number): string {
  return `${n} optimizer step${n === 1 ? '' : 's'}`;
}

/**
 * Checks the counters of a saved trainer state against each other, as Floe's loop advances them.
 * A save happens only between optimizer steps (a stop inside an accumulation cycle takes the
 * cycle's micro-batches back), each micro-batch adds its examples and tokens to `samplesSeen` and
 * `tokensSeen` and every rank's batch to `batchInEpoch` (capped at the epoch's length), and an
 * epoch ends only once its batches ran out or were resumed past, after at least one optimizer step.
 * So, whatever the history (resumes, rank counts, accumulation, dropLast, partial last batches):
 * - `globalStep >= epochIndex`, plus 1 once the current epoch has begun (`batchInEpoch > 0`);
 * - with `globalStep` 0, `samplesSeen` and `tokensSeen` are 0.
 * While the batching stays the saved `run`'s (microBatchSize m, gradientAccumulationSteps a, ranks
 * w), each optimizer step takes at most a × w micro-batches of at most m examples, and every step
 * of the first epoch but its last takes exactly a × w:
 * - `samplesSeen <= globalStep × m × a × w`;
 * - `batchInEpoch <= (globalStep - epochIndex) × a × w` (each finished epoch took a step);
 * - in the first epoch, `batchInEpoch > (globalStep - 1) × a × w`.
 * A resume with another global batch before the save can break these three, so they are warnings.
 */
export function checkStateCounters(state: TrainerState, options: StateCounterOptions): StateCounterProblems {
  const { globalStep: step, epochIndex: epoch, batchInEpoch: position, samplesSeen: samples, tokensSeen: tokens } = state;
  const exact: string[] = [];
  const begun = position > 0;
  if (step < epoch + (begun ? 1 : 0)) {
    exact.push(
      `state.epochIndex is ${epoch} but state.globalStep is ${step}: every epoch the training loop finishes takes at least one optimizer step` +
        (begun ? `, and so has the epoch a save is in once it has begun (state.batchInEpoch ${position} > 0), so a save has state.globalStep >= state.epochIndex + 1` : ', so a save has state.globalStep >= state.epochIndex'),
    );
  }
  if (step === 0 && (samples > 0 || tokens > 0)) {
    const counted = [samples > 0 ? `state.samplesSeen is ${samples}` : '', tokens > 0 ? `state.tokensSeen is ${tokens}` : ''].filter((s) => s !== '').join(' and ');
    exact.push(
      `${counted} but state.globalStep is 0: examples and tokens count as their micro-batches train, and a stop before the optimizer step takes them back, so a save before the first step has state.samplesSeen 0 and state.tokensSeen 0`,
    );
  }
  const shaped = options.shape === undefined ? [] : shapeProblems(state, options.shape);
  return options.builtInLoop ? { errors: exact, warnings: shaped } : { errors: [], warnings: [...exact, ...shaped] };
}

/** The relations that hold while the batching stays `shape`'s. */
function shapeProblems(state: TrainerState, shape: SavedRunShape): string[] {
  const { globalStep: step, epochIndex: epoch, batchInEpoch: position, samplesSeen: samples } = state;
  const { microBatchSize: m, gradientAccumulationSteps: a, worldSize: w } = shape;
  const perStep = a * w;
  const batching = `gradientAccumulationSteps × ranks of the run that saved it: ${a} × ${w}`;
  const problems: string[] = [];
  const most = step * m * perStep;
  if (samples > most) {
    problems.push(
      `state.samplesSeen is ${samples}, more than state.globalStep ${step} × its global batch of ${m * perStep} (microBatchSize × gradientAccumulationSteps × ranks: ${m} × ${a} × ${w}) = ${most}: ` +
        `each optimizer step trains at most one global batch, so state.samplesSeen <= state.globalStep × ${m * perStep}`,
    );
  }
  // Each finished epoch took at least one step; the rest of them are the current epoch's.
  const current = Math.max(0, step - epoch);
  if (position > current * perStep) {
    problems.push(
      `state.batchInEpoch is ${position}, more than the ${steps(current)} state.globalStep ${step} leaves for epoch ${epoch} (one per finished epoch before it) × ${perStep} micro-batches each (${batching}) = ${current * perStep}: ` +
        `so state.batchInEpoch <= (state.globalStep - state.epochIndex) × ${perStep}; resumed there, the run skips the epoch's micro-batches in between`,
    );
  }
  const fewest = (step - 1) * perStep + 1;
  if (epoch === 0 && step > 0 && position < fewest) {
    problems.push(
      `state.batchInEpoch is ${position}, but the ${steps(step)} of the first epoch (state.globalStep ${step}, state.epochIndex 0) took at least ${fewest} micro-batches ((state.globalStep - 1) × ${perStep} + 1; ${batching}): ` +
        `so state.batchInEpoch > (state.globalStep - 1) × ${perStep}; resumed there, the run trains micro-batches of the epoch again`,
    );
  }
  return problems;
}

/**
 * Whether `trainer` runs the base class's `epoch`, `step` and `optimizerStep` (none overridden by a
 * subclass or on the instance; the wrappers of pre/post method callbacks run them unchanged).
 */
export function runsBuiltInLoop(trainer: object): boolean {
  return ['epoch', 'step', 'optimizerStep'].every((method) => definitions(trainer, method) <= 1);
}

/** How many objects on `target`'s prototype chain (itself included) define `method`: 1 when only the base class does. */
function definitions(target: object, method: string): number {
  let count = 0;
  for (let at: object | null = target; at !== null && at !== Object.prototype; at = Object.getPrototypeOf(at)) {
    const own = Object.getOwnPropertyDescriptor(at, method);
    if (own !== undefined && !isMethodCallbackWrapper(own.value)) count++;
  }
  return count;
}
