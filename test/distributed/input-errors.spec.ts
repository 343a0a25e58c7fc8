import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CheckpointError, ConfigError, DataError, FloeError, runJob } from '../../src';
import { NonFiniteError } from '../../src/callbacks/non-finite-guard';
import { DataPathError } from '../../src/data/sources/glob';
import { rankErrorFacts, reviveFloeError } from '../../src/distributed/rank-errors';
import { runMpiRank } from '../../src/distributed/run-mpi-rank';
import { FLOE_ENTRY, TINY_FIXTURE } from '../config/plugin-files';
import { tinyRecipe } from './dp-recipes';
import { floeTrain, ONE_PROCESS, THREADS } from './floe-train-cli';

/** The status.json of run folder `run` under `cwd`. */
function status(cwd: string): { state: string; step: number; error: string } {
  return JSON.parse(fs.readFileSync(path.join(cwd, 'run', 'status.json'), 'utf8'));
}

describe("a rank's user-input errors on worker threads are said as one process says them", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dp-input-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a malformed JSONL line: the one-process line (file:line:col), exit 1, the same status.json error', async () => {
    // One data file both runs read, so the location in the message is the same.
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ prompt: `${i}+1=`, response: `${i + 1}` }));
    lines[40] = '{"prompt": "40+1=", "response": 41';
    const data = path.join(dir, 'data.jsonl');
    fs.writeFileSync(data, `${lines.join('\n')}\n`);
    const sft = { quiet: false, data: { type: 'sft', sources: [{ type: 'jsonl', paths: data }], maxLength: 16, trainEvalSplit: [0.9, 0.1], cache: false, evalGenerations: 0 } };
    const run = (name: string, fields: Record<string, unknown>) => floeTrain(path.join(dir, name), JSON.stringify(tinyRecipe('run', { ...sft, ...fields })));
    const [single, threads] = [await run('single', ONE_PROCESS), await run('threads', THREADS)];
    assert.equal(single.code, 1, single.stderr);
    assert.equal(single.stderr, `error: ${data}:41:35: malformed JSON line (expected one JSON object per line): Expected ',' or '}' after property value. Fix the data, or set skipInvalid: true on the source to skip bad lines (they are counted and the first ones reported).\n`);
    // It printed `error: rank 0 of 2 failed: <the same>`.
    assert.equal(threads.stderr, single.stderr);
    assert.equal(threads.code, 1);
    assert.doesNotMatch(threads.stdout, /\[rank 1\]/);
    assert.deepEqual([status(path.join(dir, 'threads')).state, status(path.join(dir, 'threads')).error], ['failed', status(path.join(dir, 'single')).error]);
  });

  it('a corrupt checkpoint to resume from: runJob rejects with the CheckpointError one process raises', async () => {
    const out = path.join(dir, 'run');
    const checkpoint = [{ type: 'floe', saveEveryNSteps: 2, saveEndOfTraining: false }];
    await runJob(tinyRecipe(out, { ...THREADS, trainIters: 2, checkpoint }));
    const step2 = path.join(out, 'checkpoints', 'step-000002');
    const weights = path.join(step2, 'model.safetensors');
    fs.truncateSync(weights, fs.statSync(weights).size - 100);
    const resume = (fields: Record<string, unknown>) => runJob(tinyRecipe(out, { ...fields, trainIters: 4, checkpoint }), { resumeFrom: step2 }).catch((e: unknown) => e);
    const single = await resume(ONE_PROCESS);
    assert.ok(single instanceof CheckpointError, String(single));
    assert.match(single.message, /failed verification against .*manifest\.json:\n {2}- 'model\.safetensors': size is \d+ bytes, manifest says \d+$/);
    // A resume that cannot load leaves the run's status as it was (finished), in both.
    const kept = status(dir);
    const threads = await resume(THREADS);
    // It was a RankFailedError, `rank 0 of 2 failed: Checkpoint ...`.
    assert.ok(threads instanceof CheckpointError, String(threads));
    assert.equal(threads.name, 'CheckpointError');
    assert.equal(threads.message, single.message);
    assert.deepEqual(status(dir), kept);
    // A missing folder to resume from is refused in the launching thread, before any worker starts.
    await assert.rejects(runJob(tinyRecipe(path.join(dir, 'other'), { ...THREADS }), { resumeFrom: path.join(dir, 'nowhere') }), CheckpointError);
    assert.ok(!fs.existsSync(path.join(dir, 'other')));
  });

  it("an internal error (a TypeError) keeps 'rank 0 of 2 failed:' and exits 2 with the rank's stack, as one process exits 2", async () => {
    const plugin = path.join(dir, 'plugin.js');
    fs.writeFileSync(
      plugin,
      [
        `const floe = require(${JSON.stringify(FLOE_ENTRY)});`,
        `const { TinyTrainer } = require(${JSON.stringify(TINY_FIXTURE)});`,
        'class Buggy extends TinyTrainer {',
        "  step() { throw new TypeError('step bug'); }",
        '}',
        "Buggy.type = 'buggy';",
        'floe.register(Buggy);',
        '',
      ].join('\n'),
    );
    const recipe = (distributed: string) => ['code: ../plugin.js', 'type: buggy', 'backend: cpu', 'quiet: true', 'checkpoint: []', 'outputDir: run', `distributed: ${distributed}`, ''].join('\n');
    const single = await floeTrain(path.join(dir, 'single'), recipe('none'));
    const threads = await floeTrain(path.join(dir, 'threads'), recipe('{backend: threads, workers: 2}'));
    assert.equal(single.code, 2, single.stderr);
    assert.match(single.stderr, /^internal error: TypeError: step bug\n {4}at Buggy\.step \(\S*plugin\.js:4:\d+\)/);
    // It printed `error: rank 0 of 2 failed: step bug` and exited 1, as for a bad recipe.
    assert.equal(threads.code, 2, threads.stderr);
    assert.match(threads.stderr, /^internal error: rank 0 of 2 failed: TypeError: step bug\n {4}at Buggy\.step \(\S*plugin\.js:4:\d+\)/);
  });
});

describe('rank errors crossing to the launcher', () => {
  /** As the launcher gets it: serialized in the worker, structured-cloned across. */
  const crossed = (error: Error) => reviveFloeError(structuredClone({ name: error.name, message: error.message, stack: error.stack, ...rankErrorFacts(error) }));

  it('keep their class, name, message, stack and fields', () => {
    const nonFinite = crossed(new NonFiniteError('loss', NaN, 7, undefined));
    assert.ok(nonFinite instanceof NonFiniteError);
    assert.deepEqual([nonFinite.name, nonFinite.what, nonFinite.step, nonFinite.value], ['NonFiniteError', 'loss', 7, NaN]);
    assert.match(nonFinite.message, /^Non-finite loss \(NaN\) at step 7\./);
    assert.match(nonFinite.stack ?? '', /^NonFiniteError: Non-finite loss/);

    const issues = [{ path: 'optimizer.lr', message: 'must be positive', location: { file: 'r.yaml', line: 3, col: 7 } }];
    const config = crossed(new ConfigError(issues, 'Invalid recipe'));
    assert.ok(config instanceof ConfigError);
    assert.deepEqual([config.issues, config.header, config.message], [issues, 'Invalid recipe', 'Invalid recipe: optimizer.lr: must be positive (r.yaml:3:7)']);

    const missing = crossed(new DataPathError("data.sources[0].paths: no file matches 'x/*.txt'", 'x/*.txt'));
    assert.ok(missing instanceof DataPathError && missing instanceof DataError);
    assert.equal(missing.pattern, 'x/*.txt');
  });

  it("a class the launcher does not know (a plugin's) comes as its nearest known ancestor, keeping its name and fields", () => {
    class QuotaError extends DataError {
      constructor(readonly quota: number) {
        super(`over the quota of ${quota} rows`);
      }
    }
    const revived = crossed(new QuotaError(5));
    assert.ok(revived instanceof DataError && !(revived instanceof QuotaError));
    assert.deepEqual([revived.name, revived.message, (revived as unknown as { quota: number }).quota], ['QuotaError', 'over the quota of 5 rows', 5]);
    assert.ok(crossed(new (class extends FloeError {})('plain')) instanceof FloeError);
  });
});

describe('runMpiRank: how a failing rank says its error', () => {
  /** A communicator that records what the rank did; `abort` returns (MPI_Abort would end the process). */
  function fakeComm(rank: number): { comm: Parameters<typeof runMpiRank>[0]; calls: string[] } {
    const calls: string[] = [];
    const comm = { rank, size: 2, notify: (r: string) => void calls.push(`notify ${r}`), abort: (c: number) => void calls.push(`abort ${c}`), close: async () => void calls.push('close') };
    return { comm, calls };
  }

  async function said(rank: number, error: unknown, graceMs = 60_000): Promise<{ text: string; calls: string[] }> {
    const { comm, calls } = fakeComm(rank);
    const write = process.stderr.write;
    let text = '';
    process.stderr.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stderr.write;
    try {
      await runMpiRank(comm, () => Promise.reject(error), { recipeErrorGraceMs: graceMs }).catch(() => undefined);
    } finally {
      process.stderr.write = write;
    }
    return { text, calls };
  }

  const badLine = new DataError('data.jsonl:41:35: malformed JSON line');

  it("rank 0's user-input error is printed as one process prints it, exit code 1", async () => {
    assert.deepEqual(await said(0, badLine), { text: `error: ${badLine.message}\n`, calls: ['abort 1'] });
    const corrupt = new CheckpointError("Checkpoint 'c' failed verification");
    assert.deepEqual(await said(0, corrupt), { text: `error: ${corrupt.message}\n`, calls: ['abort 1'] });
  });

  it('another rank leaves a data or checkpoint error to rank 0 for the grace, then says it with its rank', async () => {
    const { text, calls } = await said(1, badLine, 50);
    assert.equal(text, `floe: rank 1 of 2 failed, aborting the MPI job: ${badLine.message}\n`);
    assert.deepEqual(calls, [`notify rank 1 failed: ${badLine.message}`, `notify rank 1 failed: ${badLine.message}`, 'abort 1']);
  });

  it('an internal error is printed with its stack and ends the job with exit code 2', async () => {
    const bug = new TypeError('step bug');
    const { text, calls } = await said(0, bug);
    assert.equal(text, `internal error: rank 0 of 2 failed, aborting the MPI job: ${bug.stack}\n`);
    assert.deepEqual(calls, ['abort 2']);
  });
});
