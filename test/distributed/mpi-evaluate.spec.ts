import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evaluateJob, Logger, runJob } from '../../src';
import { tinyRecipe } from './dp-recipes';
import { FLOE_BIN, mpirunFlags, mpiUnavailable } from './mpi-support';


/** `mpirun -np <ranks> node bin/floe.js <args>` (as root and on fewer cores than ranks too): exit code, stdout and stderr apart. */
function mpirun(ranks: number, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const flags = mpirunFlags();
  const child = spawn('mpirun', [...flags, '-np', String(ranks), process.execPath, FLOE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('floe evaluate under mpirun (Open MPI)', function () {
  const unavailable = mpiUnavailable();
  let dir: string;
  let recipeFile: string;
  let run: string;
  let single: Record<string, number>;

  before(async function () {
    if (unavailable !== undefined) {
      // Visible in the test output, and counted as skipped, never as passed.
      console.warn(`    MPI evaluate tests SKIPPED: ${unavailable}`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-mpi-evaluate-'));
    run = path.join(dir, 'run');
    // 18 eval rows in 5 batches and 5 held-out prompts: both split unevenly over 2 ranks.
    const recipe = tinyRecipe(run, { trainIters: 6, callbacks: [], checkpoint: [{ type: 'floe' }], quiet: false, data: { ...(tinyRecipe(run).data as object), evalGenerations: 5 } });
    await runJob({ ...recipe, quiet: true });
    recipeFile = path.join(dir, 'recipe.json');
    fs.writeFileSync(recipeFile, JSON.stringify(recipe));
    single = (await evaluateJob(recipe, { checkpoint: run, logger: new Logger({ sink: () => undefined }) })).metrics;
  });
  after(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The metrics of a 2-rank evaluation equal one process's (the ranks' sums meet in float32). */
  function assertSameMetrics(metrics: Record<string, number>): void {
    assert.deepEqual(Object.keys(metrics).sort(), Object.keys(single).sort());
    assert.ok(single['eval/exact_match'] !== undefined, 'the recipe evaluates held-out prompts');
    assert.equal(metrics['eval/exact_match'], single['eval/exact_match'], 'exact match is a count: the same');
    for (const name of ['eval/loss', 'eval/perplexity']) {
      assert.ok(Math.abs(metrics[name] - single[name]) <= 1e-6 * Math.abs(single[name]), `${name}: ${metrics[name]} on 2 ranks vs ${single[name]} in one process`);
    }
  }

  it('--json: the ranks share the evaluation and one JSON object is printed, with the metrics of one process', async () => {
    const { code, stdout, stderr } = await mpirun(2, ['evaluate', recipeFile, '--checkpoint', run, '--json']);
    assert.equal(code, 0, stdout + stderr);
    const lines = stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `stdout holds one JSON line:\n${stdout}`);
    const printed = JSON.parse(lines[0]) as { step: number; metrics: Record<string, number> };
    assert.equal(printed.step, 6);
    assertSameMetrics(printed.metrics);
    // Rank 0 says, once, that the evaluation is shared; rank 1 prints nothing.
    assert.equal((stderr.match(/^floe: evaluating on 2 MPI ranks, each its share of the eval split$/gm) ?? []).length, 1, stderr);
    assert.equal((stderr.match(/^model: [\d,]+ parameters$/gm) ?? []).length, 1, stderr);
    assert.doesNotMatch(stdout + stderr, /\[rank 1\]/);
  });

  it('text output: the checkpoint line and each metric appear once', async () => {
    const { code, stdout, stderr } = await mpirun(2, ['evaluate', recipeFile, '--checkpoint', run, '--set', 'quiet=true']);
    assert.equal(code, 0, stdout + stderr);
    assert.equal((stdout.match(/\(step 6\):$/gm) ?? []).length, 1, stdout);
    const metrics = Object.fromEntries([...stdout.matchAll(/^ {2}(\S+): (\S+)$/gm)].map((m) => [m[1], Number(m[2])]));
    assert.equal((stdout.match(/^ {2}eval\/loss: /gm) ?? []).length, 1, stdout);
    assertSameMetrics(metrics);
    assert.equal(stderr, '', 'quiet: nothing on stderr');
  });

  it('--data: the ranks share the whole file, and the JSON names it with the counts and metrics of one process', async () => {
    const file = path.join(dir, 'test.jsonl');
    // 23 records: their rows split unevenly over 2 ranks.
    fs.writeFileSync(file, Array.from({ length: 23 }, (_, i) => JSON.stringify({ text: `${i}+${2 * i}=${3 * i}` })).join('\n') + '\n');
    const recipe = JSON.parse(fs.readFileSync(recipeFile, 'utf8')) as Record<string, unknown>;
    const alone = await evaluateJob(recipe, { checkpoint: run, logger: new Logger({ sink: () => undefined }), data: [file] });
    assert.equal(alone.data.records, 23);
    const { code, stdout, stderr } = await mpirun(2, ['evaluate', recipeFile, '--checkpoint', run, '--data', file, '--json']);
    assert.equal(code, 0, stdout + stderr);
    const lines = stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `stdout holds one JSON line:\n${stdout}`);
    const printed = JSON.parse(lines[0]) as { data: unknown; metrics: Record<string, number> };
    assert.deepEqual(printed.data, alone.data);
    assert.deepEqual(Object.keys(printed.metrics).sort(), Object.keys(alone.metrics).sort());
    for (const [name, value] of Object.entries(alone.metrics)) assert.ok(Math.abs(printed.metrics[name] - value) <= 1e-6 * Math.abs(value), `${name}: ${printed.metrics[name]} on 2 ranks vs ${value} in one process`);
    assert.equal((stderr.match(/^floe: evaluating on 2 MPI ranks, each its share of the data \(.*test\.jsonl\)$/gm) ?? []).length, 1, stderr);
  });
});
