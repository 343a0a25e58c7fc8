import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runJob } from '../../src';
import { rankWeights, stepLosses, tinyRecipe } from './dp-recipes';
import { FLOE_BIN, mpirunFlags, mpiUnavailable } from './mpi-support';

const RECORD_V8_FLAGS = path.join(__dirname, 'fixtures', 'record-v8-flags.js');

/** `mpirun -np <ranks> node bin/floe.js train <recipe>`, as root and on fewer cores than ranks too. */
function mpirun(
  ranks: number,
  recipeFile: string,
  options: { preload?: string; env?: Record<string, string>; lastRankArgs?: string[] } = {},
): { child: ChildProcess; done: Promise<{ code: number | null; output: string; endedAt: number }> } {
  const flags = mpirunFlags();
  const preload = options.preload === undefined ? [] : ['-r', options.preload];
  // `-x NAME` hands a variable to every rank (Open MPI forwards only its own by default).
  const env = Object.keys(options.env ?? {}).flatMap((name) => ['-x', name]);
  // The environment of the test process says FLOE_DISTRIBUTED=none; the recipes ask for mpi explicitly.
  const command = [process.execPath, ...preload, FLOE_BIN, 'train', recipeFile];
  // MPMD (`-np 1 a : -np 1 b`): the last rank gets extra arguments.
  const ranksArgs =
    options.lastRankArgs === undefined
      ? ['-np', String(ranks), ...command]
      : ['-np', String(ranks - 1), ...command, ':', '-np', '1', ...command, ...options.lastRankArgs];
  const child = spawn('mpirun', [...flags, ...env, ...ranksArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; output: string; endedAt: number }>((resolve) => child.on('close', (code) => resolve({ code, output, endedAt: Date.now() })));
  return { child, done };
}

function writeRecipe(dir: string, fields: Record<string, unknown>): { file: string; out: string } {
  const out = path.join(dir, 'run');
  const file = path.join(dir, 'recipe.yaml');
  // JSON is YAML.
  fs.writeFileSync(file, JSON.stringify(tinyRecipe(out, { distributed: 'mpi', ...fields })));
  return { file, out };
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > end) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('data-parallel training under mpirun (Open MPI)', function () {
  let dir: string;
  const unavailable = mpiUnavailable();

  before(function () {
    if (unavailable === undefined) return;
    // Visible in the test output, and counted as skipped, never as passed.
    console.warn(`    MPI tests SKIPPED: ${unavailable}`);
    this.skip();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-mpi-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('mpirun -np 2 trains identical replicas that match one process with the same global batch', async () => {
    const { file, out } = writeRecipe(dir, { quiet: false });
    const { code, output } = await mpirun(2, file, { preload: RECORD_V8_FLAGS, env: { FLOE_TEST_V8_FLAGS_DIR: dir } }).done;
    assert.equal(code, 0, output);
    assert.equal((output.match(/^done: 21 steps/gm) ?? []).length, 1, `rank 0 alone reports:\n${output}`);
    assert.equal((output.match(/^floe: data parallel on 2 MPI ranks, global batch 4 × 1 × 2 = 8 \(microBatchSize × gradientAccumulationSteps × ranks\)$/gm) ?? []).length, 1, output);
    assert.ok(rankWeights(out, 0).equals(rankWeights(out, 1)), 'the two replicas hold the same bytes');
    for (const rank of [0, 1]) {
      const calls = JSON.parse(fs.readFileSync(path.join(dir, `flags-rank${rank}.json`), 'utf8'));
      assert.deepEqual(calls, ['--no-allocation-site-pretenuring', '--allocation-site-pretenuring'], `rank ${rank} trains with pretenuring off`);
    }

    const single = path.join(dir, 'single');
    await runJob(tinyRecipe(single, { gradientAccumulationSteps: 2, distributed: 'none' }));
    const a = stepLosses(out);
    const b = stepLosses(single);
    assert.equal(a.length, 21);
    a.forEach((l, i) => assert.ok(Math.abs(l - b[i]) <= 1e-4 * Math.abs(b[i]), `step ${i + 1}: ${l} vs ${b[i]}`));
  });

  it('a rank given another recipe (other --set flags) fails the job at the start, naming the settings', async () => {
    const { file, out } = writeRecipe(dir, {});
    const { code, output } = await mpirun(2, file, { lastRankArgs: ['--set', 'microBatchSize=8'] }).done;
    assert.notEqual(code, 0, output);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.deepEqual([status.state, status.step], ['failed', 0]);
    assert.match(status.error, /rank 1 failed: Rank 1's recipe differs from rank 0's: microBatchSize is 8 here but 4 on rank 0\. Every rank must train the same recipe/);
  });

  it('a recipe error found once the data is built is printed once, by rank 0, as one process prints it', async () => {
    const { file, out } = writeRecipe(dir, { quiet: false, scheduler: { type: 'cosine', warmupSteps: 500 } });
    const { code, output } = await mpirun(2, file).done;
    assert.equal(code, 1, output);
    const said = output.split('\n').filter((l) => l.includes('warmup of 500 steps'));
    assert.equal(said.length, 1, output);
    assert.match(said[0], /^error: Invalid recipe: scheduler\.warmupSteps: warmup of 500 steps is longer than training \(21 optimizer steps\); lower it or train longer \(\S*recipe\.yaml:1:\d+\)$/);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.deepEqual([status.state, status.step], ['failed', 0]);
  });

  it('a malformed data line is printed once, by rank 0, as one process prints it (exit 1)', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ prompt: `${i}+1=`, response: `${i + 1}` }));
    lines[40] = '{"prompt": "40+1=", "response": 41';
    const data = path.join(dir, 'data.jsonl');
    fs.writeFileSync(data, `${lines.join('\n')}\n`);
    const { file, out } = writeRecipe(dir, { data: { type: 'sft', sources: [{ type: 'jsonl', paths: data }], maxLength: 16, cache: false, evalGenerations: 0 } });
    const { code, output } = await mpirun(2, file).done;
    assert.equal(code, 1, output);
    const said = output.split('\n').filter((l) => l.includes('malformed JSON line'));
    assert.deepEqual(said, [`error: ${data}:41:35: malformed JSON line (expected one JSON object per line): Expected ',' or '}' after property value. Fix the data, or set skipInvalid: true on the source to skip bad lines (they are counted and the first ones reported).`], output);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.deepEqual([status.state, status.error], ['failed', said[0].slice('error: '.length)]);
  });

  const faulty = { checkpoint: [{ type: 'floe', saveEveryNSteps: 2, saveEndOfTraining: false }] };

  it('an exception on one rank aborts the job (MPI_Abort) within 2 s, status failed, last checkpoint intact', async () => {
    const { file, out } = writeRecipe(dir, { ...faulty, callbacks: [{ type: 'dp-probe', faultRank: 1, faultStep: 3, fault: 'throw' }] });
    const { code, output, endedAt } = await mpirun(2, file).done;
    assert.notEqual(code, 0);
    assert.ok(fs.existsSync(path.join(out, 'fault-rank1.json')), `the job failed before the injected fault:\n${output}`);
    const fault = JSON.parse(fs.readFileSync(path.join(out, 'fault-rank1.json'), 'utf8')) as { at: number };
    assert.ok(endedAt - fault.at < 2000, `ended ${endedAt - fault.at} ms after the exception\n${output}`);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed');
    assert.match(status.error, /rank 1 failed: callback 'dp-probe' \(DpProbeCallback\) failed in onStepEnd\(\) at \S+dp-probe-plugin\.ts:\d+:\d+: dp-probe: injected failure on rank 1 at step 3/);
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'step-000002', 'manifest.json')));
    // Rank 0 recorded it: the step the job reached and the checkpoint to resume from.
    assert.equal(status.step, 3);
    assert.equal(status.checkpoint, path.join(out, 'checkpoints', 'step-000002'));
  });

  it("a rank failing while rank 0 is busy records the failure itself, keeping rank 0's step and checkpoint", async () => {
    const callbacks = [
      { type: 'dp-probe', faultRank: 1, faultStep: 3, fault: 'throw' },
      { type: 'dp-probe', faultRank: 0, faultStep: 3, fault: 'stall', stallMs: 10_000 },
      { type: 'status', interval: 1 },
    ];
    const { file, out } = writeRecipe(dir, { ...faulty, callbacks });
    const { code, output, endedAt } = await mpirun(2, file).done;
    assert.notEqual(code, 0);
    const fault = JSON.parse(fs.readFileSync(path.join(out, 'fault-rank1.json'), 'utf8')) as { at: number };
    assert.ok(endedAt - fault.at < 2500, `ended ${endedAt - fault.at} ms after the exception\n${output}`);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed');
    assert.match(status.error, /^rank 1 failed: .*injected failure on rank 1 at step 3/);
    assert.equal(status.step, 2, 'the step rank 0 last recorded');
    assert.equal(status.checkpoint, path.join(out, 'checkpoints', 'step-000002'));
  });

  it('killing one rank (SIGKILL) ends the job within ~2 s, status failed, last checkpoint intact', async () => {
    const { file, out } = writeRecipe(dir, { ...faulty, callbacks: [{ type: 'dp-probe', faultRank: 1, faultStep: 3, fault: 'stall', stallMs: 60_000 }] });
    const run = mpirun(2, file);
    const faultFile = path.join(out, 'fault-rank1.json');
    await waitForFile(faultFile, 60_000);
    const { pid } = JSON.parse(fs.readFileSync(faultFile, 'utf8')) as { pid: number };
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const { code, output, endedAt } = await run.done;
    assert.notEqual(code, 0);
    // mpirun itself takes ~1 s to signal the survivors (odls_base_sigkill_timeout); ~2 s in all.
    assert.ok(endedAt - killedAt < 3000, `ended ${endedAt - killedAt} ms after the kill\n${output}`);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed');
    assert.match(status.error, /Rank 0 got SIGTERM\/SIGINT while waiting in allReduceSum/);
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'step-000002', 'manifest.json')));
  });
});
