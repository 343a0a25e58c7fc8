import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { findCheckpoints, pruneCheckpoints, stepDirName } from '../../src';
import '../fixtures/tiny-regression';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** The test-only linear regression trainer: 8 batches per epoch. */
function tinyRecipe(outputDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'tiny', backend: 'cpu', ...QUIET_RUN, epochs: 2, microBatchSize: 8, outputDir, optimizer: { type: 'adam', lr: 0.05 }, callbacks: [], ...overrides };
}

function steps(root: string): string[] {
  return fs.readdirSync(root).filter((n) => n.startsWith('step-')).sort();
}

describe('keepLast pruning after resuming from an older checkpoint', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-prune-resume-')));
  afterEach(() => cleanup());

  it('does not count or delete checkpoints past the one just written, so the one resumed from is kept', async () => {
    const root = path.join(dir, 'checkpoints');
    for (const step of [4, 8, 9, 10]) {
      const d = path.join(root, stepDirName(step));
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'manifest.json'), '{}');
    }
    // Resumed from step 8, this run just wrote step 9; step 10 is the earlier run's.
    const removed = await pruneCheckpoints(root, { newest: path.join(root, 'step-000009'), keepLast: 2 });
    assert.deepEqual(removed, [path.join(root, 'step-000004')]);
    assert.deepEqual(steps(root), ['step-000008', 'step-000009', 'step-000010']);
  });

  it('a prune killed mid-delete leaves no half-deleted step-N folder that looks complete', async () => {
    const root = path.join(dir, 'checkpoints');
    for (const step of [1, 2]) {
      fs.mkdirSync(path.join(root, stepDirName(step)), { recursive: true });
      fs.writeFileSync(path.join(root, stepDirName(step), 'manifest.json'), '{}');
      fs.writeFileSync(path.join(root, stepDirName(step), 'model.safetensors'), 'w');
    }
    // The delete dies right after it starts (as a kill -9 would stop it).
    const fsp = require('fs/promises') as { rm: (p: string, o?: object) => Promise<void> };
    const rm = fsp.rm;
    fsp.rm = async () => {
      throw new Error('killed');
    };
    try {
      await assert.rejects(pruneCheckpoints(root, { newest: path.join(root, stepDirName(2)), keepLast: 1 }), /killed/);
    } finally {
      fsp.rm = rm;
    }
    assert.deepEqual(steps(root), ['step-000002']);
    assert.deepEqual((await findCheckpoints(root)).map((c) => c.step), [2]);
  });

  it('a resume from an older checkpoint warns about the newer ones beside it, and keepLast keeps the one resumed from', async () => {
    const run = path.join(dir, 'run');
    const root = path.join(run, 'checkpoints');
    await runRecorded(tinyRecipe(run, { checkpoint: [{ type: 'floe', saveEveryNSteps: 4, keepLast: 2 }] }));
    assert.deepEqual(steps(root), ['step-000012', 'step-000016']);
    const resumed = await runRecorded(tinyRecipe(run, { quiet: false, exitIteration: 14, checkpoint: [{ type: 'floe', saveEveryNSteps: 14, keepLast: 2 }] }), {
      resumeFrom: path.join(root, 'step-000012'),
    });
    const warned = resumed.lines.find((l) => l.startsWith('warn: resuming from step-000012, but '));
    assert.ok(warned, resumed.lines.join('\n'));
    assert.match(warned, /also holds newer checkpoints of a run that went further: step-000016\. keepLast does not prune them/);
    // Without the fix, step-000016 (the abandoned run's) was kept and step-000012 deleted.
    assert.deepEqual(steps(root), ['step-000012', 'step-000014', 'step-000016']);
  });
});
