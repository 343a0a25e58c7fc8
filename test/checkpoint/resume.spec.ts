import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readTrainerStateFile } from '../../src/checkpoint';
import { RecordedRun, fileBytes, runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** Steps 1..n of a run's logged losses, in order. */
function lossesUpTo(run: RecordedRun, from: number, to: number): number[] {
  const out: number[] = [];
  for (let s = from; s <= to; s++) {
    const loss = run.losses.get(s);
    assert.ok(loss !== undefined, `no loss logged at step ${s}`);
    out.push(loss);
  }
  return out;
}

/**
 * Train 20 steps and stop (exitIteration, as a preemption would), resume to 40, and compare with
 * an uninterrupted 40-step run: every logged loss and the final weights, optimizer state and
 * trainer state must be bit-identical. Dropout is on, gradients accumulate over 2 micro-batches,
 * the LR follows a warmup + cosine schedule and the run crosses epoch boundaries mid-way.
 */
function resumeIsBitExact(backend: 'cpu' | 'wasm'): void {
  let dir: string;
  let cleanup: () => Promise<void>;
  let previousBackend: string | undefined;
  before(() => {
    previousBackend = tf.getBackend();
  });
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-resume-')));
  afterEach(async () => {
    if (previousBackend !== undefined) await tf.setBackend(previousBackend);
    await cleanup();
  });

  it(`resumes bit-exactly on ${backend}: losses and lr at every step and final weights equal an uninterrupted run`, async () => {
    const overrides = { backend, gradientAccumulationSteps: 2, evalInterval: 10, evalMaxBatches: 2 };
    const before = tf.memory().numTensors;
    const full = await runRecorded(tinyGptRecipe(path.join(dir, 'full'), overrides));
    const firstHalf = await runRecorded(tinyGptRecipe(path.join(dir, 'resumed'), { ...overrides, exitIteration: 20 }));
    assert.equal(firstHalf.result.globalStep, 20);
    assert.equal(firstHalf.result.status, 'stopped');
    const step20 = path.join(dir, 'resumed', 'checkpoints', 'step-000020');
    const saved = await readTrainerStateFile(step20);
    assert.ok(saved.state.epochIndex >= 1 && saved.state.batchInEpoch > 0, `step 20 should be mid-epoch, got epoch ${saved.state.epochIndex} batch ${saved.state.batchInEpoch}`);

    // The run folder resumes from its newest checkpoint, which the log names.
    const secondHalf = await runRecorded(tinyGptRecipe(path.join(dir, 'resumed'), overrides), { resumeFrom: path.join(dir, 'resumed') });
    assert.equal(secondHalf.result.globalStep, 40);
    assert.ok(secondHalf.lines.some((l) => l.includes(`resumed from ${path.relative(process.cwd(), step20)} at step 20`)), secondHalf.lines.join('\n'));
    assert.equal(tf.memory().numTensors, before, 'runs left tensors behind');

    const expected = lossesUpTo(full, 1, 40);
    assert.deepEqual([...lossesUpTo(firstHalf, 1, 20), ...lossesUpTo(secondHalf, 21, 40)], expected);
    assert.equal(new Set(expected).size, 40, 'losses should differ from step to step');
    // The learning rate of every step too (warmup, then cosine across the resume), bit for bit.
    const lrs = (run: RecordedRun, from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => run.lrs.get(from + i) as number);
    assert.deepEqual([...lrs(firstHalf, 1, 20), ...lrs(secondHalf, 21, 40)], lrs(full, 1, 40));
    const unchanged = lrs(full, 1, 40).flatMap((lr, i, all) => (i > 0 && lr === all[i - 1] ? [i + 1] : []));
    assert.deepEqual(unchanged, [3], 'the lr moves at every step but step 3 (the peak, as at the end of the 2-step warmup)');

    const a = path.join(dir, 'full', 'checkpoints', 'step-000040');
    const b = path.join(dir, 'resumed', 'checkpoints', 'step-000040');
    assert.ok(fileBytes(a, 'model.safetensors').equals(fileBytes(b, 'model.safetensors')), 'final weights differ');
    assert.ok(fileBytes(a, 'optimizer.safetensors').equals(fileBytes(b, 'optimizer.safetensors')), 'final optimizer state differs');
    const [stateA, stateB] = [await readTrainerStateFile(a), await readTrainerStateFile(b)];
    assert.deepEqual(stateB.state, stateA.state);
    assert.deepEqual(stateB.scheduler, stateA.scheduler);
    // The weights really moved from their initialisation (the comparison is not vacuous).
    assert.ok(!fileBytes(step20, 'model.safetensors').equals(fileBytes(a, 'model.safetensors')));
  });
}

describe('resume (floe checkpoint engine)', () => {
  describe('cpu', () => resumeIsBitExact('cpu'));
  describe('wasm', () => resumeIsBitExact('wasm'));

  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-resume-')));
  afterEach(() => cleanup());

  it('autoResume picks the newest complete checkpoint and continues where it stopped', async () => {
    const run = path.join(dir, 'run');
    const checkpoint = [{ type: 'floe', saveEveryNSteps: 5, autoResume: true }];
    const first = await runRecorded(tinyGptRecipe(run, { trainIters: 12, exitIteration: 7, checkpoint }));
    assert.equal(first.result.globalStep, 7);
    // A folder without a manifest (an interrupted save) is never picked, even with a higher step.
    fs.mkdirSync(path.join(run, 'checkpoints', 'step-000099'));
    fs.writeFileSync(path.join(run, 'checkpoints', 'step-000099', 'model.safetensors'), 'partial');
    const second = await runRecorded(tinyGptRecipe(run, { trainIters: 12, checkpoint }));
    assert.ok(second.lines.some((l) => l.includes('auto-resumed from') && l.includes('step-000007') && l.includes('at step 7')), second.lines.join('\n'));
    assert.equal(second.result.globalStep, 12);
    assert.deepEqual([...second.losses.keys()], [8, 9, 10, 11, 12]);

    // Resuming the finished run (or with a shorter horizon) trains nothing and saves nothing new.
    const listing = fs.readdirSync(path.join(run, 'checkpoints')).sort();
    const third = await runRecorded(tinyGptRecipe(run, { trainIters: 12, checkpoint }));
    assert.equal(third.result.globalStep, 12);
    assert.equal(third.result.status, 'finished');
    assert.equal(third.losses.size, 0, 'no step was trained');
    assert.ok(third.lines.some((l) => l.includes("nothing to train: step 12 already reaches the run's 12 steps")), third.lines.join('\n'));
    // A --resume that names no checkpoint fails before touching the run folder (its resolved recipe
    // would say trainIters 13, its status 'failed').
    const files = ['recipe.resolved.yaml', 'status.json'].filter((f) => fs.existsSync(path.join(run, f)));
    const contents = files.map((f) => fs.readFileSync(path.join(run, f), 'utf8'));
    const typo = path.join(run, 'checkpoints', 'step-00012');
    await assert.rejects(runRecorded(tinyGptRecipe(run, { trainIters: 13, checkpoint }), { resumeFrom: typo }), /No Floe checkpoint at '.*step-00012': the path does not exist/);
    assert.ok(files.includes('recipe.resolved.yaml'));
    assert.deepEqual(files.map((f) => fs.readFileSync(path.join(run, f), 'utf8')), contents, 'the run folder is untouched');
    const shorter = await runRecorded(tinyGptRecipe(run, { trainIters: 10, checkpoint }));
    assert.equal(shorter.result.globalStep, 12);
    assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), listing);
  });
});
