import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, JobAbortedError, runJob } from '../../src';
import { runMpiRank } from '../../src/distributed/run-mpi-rank';
import { readMetrics, tinyRecipe } from './dp-recipes';
import { floeTrain, FloeTrainRun, ONE_PROCESS, THREADS } from './floe-train-cli';

/**
 * 162 training examples in micro-batches of 4 make 41 per epoch: 21 optimizer steps on 2 workers,
 * and on one process accumulating 2 micro-batches. A warmup of 500 steps is longer than either.
 */
const LONG_WARMUP = { scheduler: { type: 'cosine', warmupSteps: 500 } };

/** `floe train recipe.yaml` in `cwd` (the recipe's run folder `run` is relative to it): exit code and everything printed. */
function floeTrainFields(cwd: string, fields: Record<string, unknown>): Promise<FloeTrainRun> {
  // JSON is YAML; the same fields in the same order, so a recipe location is the same line:column in both runs.
  return floeTrain(cwd, JSON.stringify(tinyRecipe('run', { quiet: false, ...fields })));
}

describe('recipe errors found once the data is built, on worker threads', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dp-recipe-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('floe train prints a warmup longer than training once, as one process prints it, and exits non-zero', async () => {
    const [threads, single] = [await floeTrainFields(path.join(dir, 'threads'), { ...LONG_WARMUP, ...THREADS }), await floeTrainFields(path.join(dir, 'single'), { ...LONG_WARMUP, ...ONE_PROCESS })];
    const expected = 'error: Invalid recipe: scheduler.warmupSteps: warmup of 500 steps is longer than training (21 optimizer steps); lower it or train longer (recipe.yaml:1:';
    assert.equal(single.code, 1, single.stderr);
    assert.ok(single.stderr.startsWith(expected), single.stderr);
    assert.equal(threads.code, single.code);
    // One line, the same as one process's: no `rank 0 of 2 failed:`, no copy per rank, no stack.
    assert.equal(threads.stderr, single.stderr, `threads:\n${threads.stderr}\none process:\n${single.stderr}`);
    assert.equal(threads.stderr.split('\n').filter((l) => l !== '').length, 1, threads.stderr);
    assert.doesNotMatch(threads.stdout + threads.stderr, /\[rank 1\]|^\s+at /m);
    // The error ends the run before any step: rank 0's set-up lines, then the error.
    const lines = threads.stdout.split('\n').filter((l) => l !== '');
    assert.match(lines[0], /^floe: data parallel on 2 worker threads/);
    assert.ok(!lines.some((l) => /^done:|step \d/.test(l)), threads.stdout);
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'threads', 'run', 'status.json'), 'utf8'));
    assert.deepEqual([status.state, status.step, status.error], ['failed', 0, single.stderr.trim().slice('error: '.length)]);
  });

  it('runJob rejects with the ConfigError one process raises, not a rank failure', async () => {
    const out = (name: string): string => path.join(dir, name);
    const fromSingle = await runJob(tinyRecipe(out('single'), { ...LONG_WARMUP, ...ONE_PROCESS })).catch((e: unknown) => e);
    assert.ok(fromSingle instanceof ConfigError, String(fromSingle));
    await assert.rejects(runJob(tinyRecipe(out('threads'), { ...LONG_WARMUP, ...THREADS })), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.message, fromSingle.message);
      assert.deepEqual(error.issues.map((i) => i.path), ['scheduler.warmupSteps']);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(out('threads'), 'metrics.jsonl')) || readMetrics(out('threads')).length === 0, 'no step was trained');
  });
});

describe('runMpiRank: a recipe error is said by rank 0 alone', () => {
  /** A communicator that records what the rank did; `abort` returns (MPI_Abort would end the process). */
  function fakeComm(rank: number): { comm: Parameters<typeof runMpiRank>[0]; calls: string[] } {
    const calls: string[] = [];
    const comm = { rank, size: 2, notify: (r: string) => void calls.push(`notify ${r}`), abort: (c: number) => void calls.push(`abort ${c}`), close: async () => void calls.push('close') };
    return { comm, calls };
  }

  async function capturedStderr(run: () => Promise<unknown>): Promise<string> {
    const write = process.stderr.write;
    let text = '';
    process.stderr.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stderr.write;
    try {
      await run().catch(() => undefined);
    } finally {
      process.stderr.write = write;
    }
    return text;
  }

  const recipeError = new ConfigError([{ path: 'scheduler.warmupSteps', message: 'warmup of 500 steps is longer than training (21 optimizer steps)' }]);

  it('rank 0 prints it and aborts the job; another rank hands rank 0 the reason and says nothing while rank 0 has time to end it', async () => {
    const main = fakeComm(0);
    const text = await capturedStderr(() => runMpiRank(main.comm, () => Promise.reject(recipeError), { recipeErrorGraceMs: 60_000 }));
    // As one process prints it: rank 0 is where the job's error is said.
    assert.equal(text, `error: ${recipeError.message}\n`);
    assert.deepEqual(main.calls, ['abort 1']);

    const { comm, calls } = fakeComm(1);
    let said = '';
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => ((said += chunk), true)) as typeof process.stderr.write;
    let ended = false;
    const run = runMpiRank(comm, () => Promise.reject(recipeError), { recipeErrorGraceMs: 300 })
      .catch(() => undefined)
      .finally(() => (ended = true));
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      // Within the grace, rank 0's MPI_Abort would end this process: nothing printed, nothing aborted.
      assert.equal(said, '');
      assert.deepEqual(calls, [`notify rank 1 failed: ${recipeError.message}`]);
      assert.equal(ended, false);
      await run;
    } finally {
      process.stderr.write = write;
    }
    // Rank 0 never ended the job (it did not hit the error): this rank reports it and aborts.
    assert.equal(said, `floe: rank 1 of 2 failed, aborting the MPI job: ${recipeError.message}\n`);
    assert.deepEqual(calls.slice(-1), ['abort 1']);
  });

  it('other failures of another rank are said at once, as before', async () => {
    const { comm, calls } = fakeComm(1);
    const started = Date.now();
    const text = await capturedStderr(() => runMpiRank(comm, () => Promise.reject(new JobAbortedError('the job was aborted')), { recipeErrorGraceMs: 60_000 }));
    assert.ok(Date.now() - started < 5000);
    assert.equal(text, 'floe: rank 1 of 2 failed, aborting the MPI job: the job was aborted\n');
    assert.deepEqual(calls, ['notify the job was aborted', 'abort 1']);
  });
});
