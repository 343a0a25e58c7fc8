import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError, findIncompleteSaves, loadCheckpointModel, Logger } from '../../src';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';
import '../fixtures/tiny-regression';

/** The test-only linear regression trainer: 8 batches per epoch, a checkpoint every 4 steps. */
function tinyRecipe(outputDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const checkpoint = [{ type: 'floe', saveEveryNSteps: 4 }];
  return { type: 'tiny', backend: 'cpu', ...QUIET_RUN, epochs: 2, microBatchSize: 8, outputDir, optimizer: { type: 'adam', lr: 0.05 }, checkpoint, callbacks: [], ...overrides };
}

describe('incomplete saves (a save killed midway)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  let root: string;
  // A pid no process has: a dead save's temp folder.
  const deadTemp = '.step-000020.tmp-2147483646-0badcafe';
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-incomplete-'));
    run = path.join(dir, 'run');
    root = path.join(run, 'checkpoints');
    await runRecorded(tinyRecipe(run));
    // step-16 lost its manifest (killed before it was written, or copied in part); step 20's save died in its temp folder.
    fs.rmSync(path.join(root, 'step-000016', 'manifest.json'));
    fs.mkdirSync(path.join(root, deadTemp));
  });
  afterEach(() => cleanup());

  it('lists step-N folders without a manifest and dead temp folders, newest first', async () => {
    fs.mkdirSync(path.join(root, `.step-000024.tmp-${process.pid}-12345678`)); // a save in progress in this process
    assert.deepEqual(await findIncompleteSaves(root), [
      { name: deadTemp, step: 20 },
      { name: 'step-000016', step: 16 },
    ]);
  });

  it('resuming from the run folder loads the newest complete checkpoint and says which saves it skipped', async () => {
    const resumed = await runRecorded(tinyRecipe(run, { epochs: 3, quiet: false }), { resumeFrom: run });
    const note = resumed.lines.find((l) => l.includes('skipped 2 incomplete saves newer than step-000012'));
    assert.ok(note, resumed.lines.join('\n'));
    assert.match(note, /\.step-000020\.tmp-2147483646-0badcafe \(step 20\), step-000016 \(step 16\); they have no manifest\.json/);
    assert.ok(resumed.lines.some((l) => /resumed from .*step-000012 at step 12/.test(l)), resumed.lines.join('\n'));
    assert.equal(resumed.result.globalStep, 24);
  });

  it('autoResume with only incomplete saves starts from step 0 and says so', async () => {
    const fresh = path.join(dir, 'fresh');
    fs.mkdirSync(path.join(fresh, 'checkpoints', deadTemp), { recursive: true });
    const checkpoint = [{ type: 'floe', saveEveryNSteps: 4, autoResume: true }];
    const run = await runRecorded(tinyRecipe(fresh, { quiet: false, epochs: 1, checkpoint }));
    assert.ok(
      run.lines.includes(`warn: no complete checkpoint to resume from in ${path.relative(process.cwd(), path.join(fresh, 'checkpoints'))}, only incomplete saves (no manifest.json): ${deadTemp}; starting from step 0`),
      run.lines.join('\n'),
    );
    assert.equal(run.result.globalStep, 8);
  });

  it('a run folder with only incomplete saves is no checkpoint, and the error names them', async () => {
    const fresh = path.join(dir, 'fresh');
    fs.mkdirSync(path.join(fresh, 'checkpoints', deadTemp), { recursive: true });
    await assert.rejects(loadCheckpointModel(fresh), (e: Error) => {
      assert.ok(e instanceof CheckpointError, e.stack);
      assert.match(e.message, /^No Floe checkpoint at '.*fresh': .*found no complete step-N checkpoint in .*fresh, .*fresh\/checkpoints \(only incomplete saves, without manifest\.json: .*checkpoints\/\.step-000020\.tmp-2147483646-0badcafe\)\./);
      return true;
    });
  });

  it('an older checkpoint chosen on purpose skipped nothing: no note', async () => {
    const resumed = await runRecorded(tinyRecipe(run, { epochs: 3, quiet: false }), { resumeFrom: path.join(root, 'step-000008') });
    assert.ok(!resumed.lines.some((l) => l.includes('skipped')), resumed.lines.join('\n'));
  });

  it('a checkpoint folder without its manifest, named directly, is refused as incomplete, naming the newest complete one', async () => {
    const incomplete = path.join(root, 'step-000016');
    const expected = (e: Error): boolean =>
      e instanceof CheckpointError &&
      e.message.includes(`'${incomplete}' is an incomplete checkpoint: it holds trainer-state.json, optimizer.safetensors but no manifest.json`) &&
      e.message.includes(`The newest complete checkpoint beside it is ${path.join(root, 'step-000012')}.`);
    await assert.rejects(runRecorded(tinyRecipe(run, { epochs: 3 }), { resumeFrom: incomplete }), expected);
    await assert.rejects(loadCheckpointModel(incomplete), expected);
  });

  it('loading a model from the run folder (generate, export) warns about the skipped saves too', async () => {
    const lines: string[] = [];
    const loaded = await loadCheckpointModel(run, { logger: new Logger({ sink: (_level, line) => lines.push(line) }) });
    try {
      assert.equal(loaded.step, 12);
      assert.ok(lines.some((l) => l.includes('skipped 2 incomplete saves newer than step-000012')), lines.join('\n'));
    } finally {
      loaded.dispose();
    }
  });
});
