import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../src';
import '../fixtures/tiny-regression';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** The test-only linear regression trainer: 8 batches per epoch, a checkpoint every 4 steps. */
function tinyRecipe(outputDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const checkpoint = [{ type: 'floe', saveEveryNSteps: 4, keepLast: 2 }];
  return { type: 'tiny', backend: 'cpu', ...QUIET_RUN, status: true, epochs: 1, microBatchSize: 8, outputDir, optimizer: { type: 'adam', lr: 0.05 }, checkpoint, callbacks: [], ...overrides };
}

describe('resuming into a run folder', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-resume-other-')));
  afterEach(() => cleanup());

  it('with a checkpoint of another run folder is refused into a folder holding a third run (its checkpoints would mix), and goes on into a new folder or its own', async () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    await runRecorded(tinyRecipe(a));
    await runRecorded(tinyRecipe(b, { epochs: 3 }));
    const before = fs.readdirSync(path.join(b, 'checkpoints')).sort();
    await assert.rejects(runRecorded(tinyRecipe(b, { epochs: 2 }), { resumeFrom: a }), (e: Error) => {
      assert.ok(e instanceof ConfigError, e.stack);
      assert.match(e.message, /outputDir: .*b already holds a run \(status finished at step 24, 2 checkpoints \(newest step-000024\)\); resuming .*a\/checkpoints\/step-000008, a checkpoint of another run folder, there would mix with it\. Continue it with --resume .*b/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(path.join(b, 'checkpoints')).sort(), before, 'nothing was touched');

    // A new folder, and the checkpoint's own run folder, are fine.
    assert.equal((await runRecorded(tinyRecipe(path.join(dir, 'c'), { epochs: 2 }), { resumeFrom: a })).result.globalStep, 16);
    assert.equal((await runRecorded(tinyRecipe(a, { epochs: 2 }), { resumeFrom: path.join(a, 'checkpoints', 'step-000004') })).result.globalStep, 16);
    // Its own run folder named through a symlink is still its own.
    fs.symlinkSync(a, path.join(dir, 'link'));
    assert.equal((await runRecorded(tinyRecipe(path.join(dir, 'link'), { epochs: 3 }), { resumeFrom: a })).result.globalStep, 24);
  });

  it('a folder a live run is training in is refused (resume, autoResume, overwriteOutputDir), one a killed run left is not', async () => {
    const a = path.join(dir, 'a');
    await runRecorded(tinyRecipe(a));
    const statusFile = path.join(a, 'status.json');
    const status = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as Record<string, unknown>;
    // Another process of this host, alive, says it is training there.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(statusFile, JSON.stringify({ ...status, state: 'running', pid: other.pid, host: os.hostname() }));
      const inUse = new RegExp(`outputDir: .*a is in use: a run is training there now \\(process ${other.pid} on this host, at step 8 according to .*status\\.json\\).*Wait for it to finish or stop it \\(kill ${other.pid}`);
      const autoResume = [{ type: 'floe', saveEveryNSteps: 4, autoResume: true }];
      for (const [recipe, options] of [
        [tinyRecipe(a, { epochs: 2 }), { resumeFrom: a }],
        [tinyRecipe(a, { epochs: 2, checkpoint: autoResume }), {}],
        [tinyRecipe(a, { overwriteOutputDir: true }), {}],
      ] as const) {
        await assert.rejects(runRecorded(recipe, options), (e: Error) => e instanceof ConfigError && inUse.test(e.message));
      }
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    // The process is gone: `running` is what a killed run leaves, and resuming goes on.
    assert.equal((await runRecorded(tinyRecipe(a, { epochs: 2 }), { resumeFrom: a })).result.globalStep, 16);
    if (process.platform === 'linux') {
      // A restarted container reuses pids: a live process that is not Node is not that run.
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        fs.writeFileSync(statusFile, JSON.stringify({ ...status, step: 16, state: 'running', pid: sleeper.pid, host: os.hostname() }));
        assert.equal((await runRecorded(tinyRecipe(a, { epochs: 3 }), { resumeFrom: a })).result.globalStep, 24);
      } finally {
        sleeper.kill('SIGKILL');
      }
    }
  });

  it('overwriteOutputDir with autoResume resumes (a relaunched job must not start over) and warns that it was ignored', async () => {
    const a = path.join(dir, 'a');
    await runRecorded(tinyRecipe(a));
    const checkpoint = [{ type: 'floe', saveEveryNSteps: 4, autoResume: true }];
    const both = await runRecorded(tinyRecipe(a, { quiet: false, epochs: 2, overwriteOutputDir: true, checkpoint }));
    assert.equal(both.result.globalStep, 16);
    assert.ok(both.lines.includes(`warn: overwriteOutputDir is ignored: checkpoint[0].autoResume continues the run in ${path.relative(process.cwd(), a)} instead of starting over; to start over, also set checkpoint[0].autoResume=false`), both.lines.join('\n'));
  });

  it('overwriteOutputDir with --resume of its own run folder resumes, keeps the metrics, and warns that it was ignored (it said nothing)', async () => {
    const a = path.join(dir, 'a');
    await runRecorded(tinyRecipe(a, { metricsLog: true }));
    const metrics = fs.readFileSync(path.join(a, 'metrics.jsonl'), 'utf8');
    const both = await runRecorded(tinyRecipe(a, { quiet: false, metricsLog: true, epochs: 2, overwriteOutputDir: true }), { resumeFrom: a });
    assert.equal(both.result.globalStep, 16);
    assert.ok(fs.readFileSync(path.join(a, 'metrics.jsonl'), 'utf8').startsWith(metrics), 'the earlier records are kept');
    assert.ok(both.lines.includes(`warn: overwriteOutputDir is ignored: --resume continues the run in ${path.relative(process.cwd(), a)} instead of starting over (its metrics and checkpoints are kept); to start over, leave out --resume`), both.lines.join('\n'));
    // Into another folder holding an earlier run, overwriteOutputDir does clear it: no warning.
    const b = path.join(dir, 'b');
    await runRecorded(tinyRecipe(b));
    const into = await runRecorded(tinyRecipe(b, { quiet: false, epochs: 2, overwriteOutputDir: true }), { resumeFrom: a });
    assert.ok(!into.lines.some((l) => l.includes('overwriteOutputDir is ignored')), into.lines.join('\n'));
  });

  it('overwriteOutputDir says what it deleted (it deleted an earlier run without a word), and nothing when there was no run', async () => {
    const a = path.join(dir, 'a');
    await runRecorded(tinyRecipe(a, { metricsLog: true }));
    const again = await runRecorded(tinyRecipe(a, { quiet: false, metricsLog: true, overwriteOutputDir: true }));
    const shown = path.relative(process.cwd(), a);
    assert.ok(again.lines.includes(`overwriteOutputDir: deleted the earlier run in ${shown} (status finished at step 8, 2 checkpoints (newest step-000008), metrics.jsonl) to start over`), again.lines.join('\n'));
    const fresh = await runRecorded(tinyRecipe(path.join(dir, 'fresh'), { quiet: false, overwriteOutputDir: true }));
    assert.ok(!fresh.lines.some((l) => l.includes('deleted the earlier run')), fresh.lines.join('\n'));
  });

  it("a resume that fails to load leaves the run's status.json and recipe.resolved.yaml as they were", async () => {
    const a = path.join(dir, 'a');
    await runRecorded(tinyRecipe(a));
    const files = ['status.json', 'recipe.resolved.yaml'].map((f) => path.join(a, f));
    const before = files.map((f) => fs.readFileSync(f, 'utf8'));
    // Another optimizer cannot take the checkpoint's Adam state: nothing was trained, the finished run stays finished.
    await assert.rejects(runRecorded(tinyRecipe(a, { epochs: 2, optimizer: { type: 'sgd', lr: 0.05 } }), { resumeFrom: a }), /Cannot load optimizer state/);
    assert.deepEqual(
      files.map((f) => fs.readFileSync(f, 'utf8')),
      before,
    );
    assert.equal(JSON.parse(before[0]).state, 'finished');
    // Once loaded, the resumed run records its own recipe and status.
    await runRecorded(tinyRecipe(a, { epochs: 2, seed: 5 }), { resumeFrom: a });
    assert.match(fs.readFileSync(files[1], 'utf8'), /^seed: 5$/m);
    assert.equal(JSON.parse(fs.readFileSync(files[0], 'utf8')).step, 16);
  });
});
