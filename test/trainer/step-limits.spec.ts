import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Logger, runJob, TrainingResult } from '../../src';
import '../fixtures/tiny-regression';

/** 64 examples in micro-batches of 8: 8 optimizer steps an epoch. */
function recipe(outputDir: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'tiny', backend: 'cpu', epochs: 1, outputDir, checkpoint: [{ type: 'floe', saveEndOfTraining: false }], ...fields };
}

async function run(fields: Record<string, unknown>, options: { resumeFrom?: string } = {}): Promise<{ result: TrainingResult; warnings: string[] }> {
  const lines: string[] = [];
  const result = await runJob(recipe(fields.outputDir as string, fields), { ...options, logger: new Logger({ sink: (_level, line) => lines.push(line) }) });
  return { result, warnings: lines.filter((l) => l.startsWith('warn: ')) };
}

describe('exitIteration and the training horizon', () => {
  let dir: string;
  let tensors: number;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-step-limits-'));
    tensors = tf.memory().numTensors;
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(tf.memory().numTensors, tensors, 'runs left tensors behind');
  });

  it('warns once at the start when exitIteration is past the end of training, naming both steps and what the run does', async () => {
    const { result, warnings } = await run({ outputDir: path.join(dir, 'epochs'), exitIteration: 500 });
    assert.deepEqual(warnings, ['warn: exitIteration 500 is past the end of training (step 8: 1 epoch of 8 steps): the run ends at step 8 as usual, without it']);
    assert.deepEqual([result.status, result.globalStep], ['finished', 8]);

    const capped = await run({ outputDir: path.join(dir, 'capped'), epochs: 3, trainIters: 5, exitIteration: 6 });
    assert.deepEqual(capped.warnings, ['warn: exitIteration 6 is past the end of training (step 5: trainIters 5): the run ends at step 5 as usual, without it']);
    assert.deepEqual([capped.result.status, capped.result.globalStep], ['finished', 5]);
  });

  it('warns once when trainIters is more than the epochs give, with the epochs it would take; says nothing when it caps them', async () => {
    const { result, warnings } = await run({ outputDir: path.join(dir, 'short'), epochs: 2, trainIters: 20 });
    assert.deepEqual(warnings, ['warn: trainIters 20 is more than the 16 steps of the run\'s 2 epochs of 8 steps: training ends at step 16. To train 20 steps, set epochs: 3.']);
    assert.deepEqual([result.status, result.globalStep], ['finished', 16]);

    const one = await run({ outputDir: path.join(dir, 'one'), microBatchSize: 64, trainIters: 3 });
    assert.deepEqual(one.warnings, ['warn: trainIters 3 is more than the 1 step of the run\'s 1 epoch of 1 step: training ends at step 1. To train 3 steps, set epochs: 3.']);

    const capped = await run({ outputDir: path.join(dir, 'capping'), epochs: 2, trainIters: 16 });
    assert.deepEqual(capped.warnings, []);
    assert.equal(capped.result.globalStep, 16);
  });

  it('says nothing when exitIteration falls within training, and stops there with a checkpoint', async () => {
    const out = path.join(dir, 'within');
    const { result, warnings } = await run({ outputDir: out, epochs: 2, exitIteration: 8 });
    assert.deepEqual(warnings, []);
    assert.deepEqual([result.status, result.globalStep], ['stopped', 8]);
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'step-000008', 'manifest.json')));
  });

  it('a resume at or past exitIteration trains on to the end, saying so (it took one step and stopped again)', async () => {
    const out = path.join(dir, 'resumed');
    const first = await run({ outputDir: out, epochs: 2, exitIteration: 5 });
    assert.deepEqual([first.result.status, first.result.globalStep], ['stopped', 5]);
    const again = await run({ outputDir: out, epochs: 2, exitIteration: 5 }, { resumeFrom: out });
    assert.deepEqual(again.warnings, [
      'warn: exitIteration 5 is not after step 5, where this run resumes: it stops nothing, and the run trains on to step 16 (2 epochs of 8 steps). To stop earlier, set exitIteration past 5; leave it out (--set exitIteration=null) to silence this.',
    ]);
    assert.deepEqual([again.result.status, again.result.globalStep], ['finished', 16]);
    // A later exitIteration still stops the resumed run, without a word.
    const later = path.join(dir, 'later');
    await run({ outputDir: later, epochs: 2, exitIteration: 5 });
    const stopped = await run({ outputDir: later, epochs: 2, exitIteration: 9 }, { resumeFrom: later });
    assert.deepEqual(stopped.warnings, []);
    assert.deepEqual([stopped.result.status, stopped.result.globalStep], ['stopped', 9]);
  });
});
