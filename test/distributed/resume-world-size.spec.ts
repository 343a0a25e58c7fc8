import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Logger, readTrainerStateFile, runJob } from '../../src';
import { tinyRecipe } from './dp-recipes';

describe('resuming with another number of data-parallel ranks', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dp-resume-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Resumes `tinyRecipe` in one process from `from`, returning the result and the log lines. */
  async function resumeAlone(from: string, name: string, fields: Record<string, unknown> = {}): Promise<{ globalStep: number; lines: string[] }> {
    const lines: string[] = [];
    const logger = new Logger({ sink: (_level, line) => lines.push(line) });
    const result = await runJob(tinyRecipe(path.join(dir, name), { distributed: 'none', ...fields }), { resumeFrom: from, logger });
    return { globalStep: result.globalStep, lines };
  }

  it('warns that 2 ranks → 1 halves the global batch and stretches an epoch-bounded run; compensating accumulation only notes it', async () => {
    // 41 micro-batches per epoch: 21 steps on 2 ranks, 41 alone.
    const two = path.join(dir, 'two');
    await runJob(tinyRecipe(two, { distributed: { backend: 'threads', workers: 2 }, exitIteration: 5 }));
    const step5 = path.join(two, 'checkpoints', 'step-000005');
    assert.deepEqual((await readTrainerStateFile(step5)).run, { worldSize: 2, microBatchSize: 4, gradientAccumulationSteps: 1, trainingHorizon: 21 });

    const alone = await resumeAlone(step5, 'alone');
    const warned = alone.lines.filter((l) => l.startsWith('warn: '));
    assert.equal(warned.length, 1, alone.lines.join('\n'));
    assert.match(
      warned[0],
      /^warn: resuming on 1 data-parallel rank, but the checkpoint's run had 2: the global batch \(microBatchSize × gradientAccumulationSteps × ranks\) changes from 4 × 1 × 2 = 8 to 4 × 1 × 1 = 4 examples per optimizer step\. The run's length changes with it: 41 optimizer steps instead of 21 .* The run's 1 epoch runs out at step 36, before the schedule ends\. To keep the global batch of 8, set gradientAccumulationSteps: 2\.$/,
    );
    assert.equal(alone.globalStep, 36, 'the run ends where the warning says');

    const kept = await resumeAlone(step5, 'kept', { gradientAccumulationSteps: 2 });
    assert.deepEqual(kept.lines.filter((l) => l.startsWith('warn: ')), []);
    assert.ok(kept.lines.includes("resuming on 1 data-parallel rank, but the checkpoint's run had 2; the global batch stays 8 (microBatchSize × gradientAccumulationSteps × ranks: 4 × 2 × 1 = 8)."), kept.lines.join('\n'));
    assert.equal(kept.globalStep, 21);
  });
});
