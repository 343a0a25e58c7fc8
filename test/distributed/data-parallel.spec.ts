import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess, spawn } from 'child_process';
import { BackendUnavailableError, Callback, DistributedConfig, DistributedSetupError, isPackageInstalled, NATIVE_BACKEND_PACKAGES, RankFailedError, register, restoreRegistries, runJob, snapshotRegistries, TrainingResult } from '../../src';
import { DP_PROBE_PLUGIN } from './fixtures/dp-probe-plugin';
import { recordV8FlagCalls } from './fixtures/v8-flag-calls';
import { lastEval, rankLimits, rankSamples, rankWeights, readMetrics, stepLosses, tinyRecipe } from './dp-recipes';

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-6, Math.abs(b));
}

function maxWeightDiff(a: Buffer, b: Buffer): number {
  const x = new Float32Array(a.buffer, a.byteOffset, a.byteLength / 4);
  const y = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  assert.equal(x.length, y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** Starts `floe train` on 2 worker threads (3 epochs) and resolves once rank 1 has marked step 3. */
async function startMarkedRun(dir: string, name: string): Promise<{ out: string; child: ChildProcess; exited: Promise<number | null>; log: { text: string } }> {
  const out = path.join(dir, name);
  const file = path.join(dir, 'recipe.yaml');
  fs.writeFileSync(file, JSON.stringify(tinyRecipe(out, { epochs: 3, distributed: { backend: 'threads', workers: 2 }, callbacks: [{ type: 'dp-probe', faultRank: 1, faultStep: 3, fault: 'mark' }] })));
  const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', '..', 'bin', 'floe.js'), 'train', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = { text: '' };
  child.stdout.on('data', (d: Buffer) => (log.text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log.text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  while (!fs.existsSync(path.join(out, 'fault-rank1.json'))) await new Promise((resolve) => setTimeout(resolve, 20));
  return { out, child, exited, log };
}

describe('data-parallel training on worker threads', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dp-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('2 workers match one process with the same global batch; the replicas stay bit-identical', async () => {
    // 162 training examples in micro-batches of 4: 41 per epoch, so each epoch ends with a step
    // that only rank 0 has a batch for (rank 1 joins it with weight 0).
    const a = path.join(dir, 'two-workers');
    const b = path.join(dir, 'one-process');
    const data = { ...(tinyRecipe(a).data as object), evalGenerations: 5 };
    const dp = await runJob(tinyRecipe(a, { epochs: 2, data, distributed: { backend: 'threads', workers: 2 } }));
    const single = await runJob(tinyRecipe(b, { epochs: 2, data, gradientAccumulationSteps: 2, distributed: 'none' }));

    assert.equal(single.globalStep, 42);
    assert.equal(dp.globalStep, 42, 'ceil(41 / (1 × 2)) = 21 optimizer steps per epoch');
    const lossesDp = stepLosses(a);
    const lossesSingle = stepLosses(b);
    assert.equal(lossesDp.length, 42);
    lossesDp.forEach((l, i) => assert.ok(relDiff(l, lossesSingle[i]) < 1e-4, `step ${i + 1}: loss ${l} vs ${lossesSingle[i]}`));
    assert.ok(lossesDp[41] < lossesDp[0] * 0.8, `the loss falls (${lossesDp[0]} → ${lossesDp[41]})`);

    assert.ok(rankWeights(a, 0).equals(rankWeights(a, 1)), 'the two replicas hold the same bytes');
    assert.ok(maxWeightDiff(rankWeights(a, 0), rankWeights(b, 0)) < 1e-4);

    // Evaluation is sharded and reduced: the same eval loss as one process.
    assert.ok(relDiff(lastEval(a)['eval/loss'], lastEval(b)['eval/loss']) < 1e-4);
    // Generation too: rank 0 completes prompts 0, 2, 4 and rank 1 prompts 1, 3, the same
    // completions one process makes, and exact match counts all five.
    const all = rankSamples(b, 0);
    assert.equal(all.length, 5);
    assert.deepEqual(rankSamples(a, 0), [all[0], all[2], all[4]]);
    assert.deepEqual(rankSamples(a, 1), [all[1], all[3]]);
    assert.equal(lastEval(a)['eval/exact_match'], lastEval(b)['eval/exact_match']);
    assert.equal(lastEval(a)['eval/exact_match'] * 5, Math.round(lastEval(a)['eval/exact_match'] * 5), 'a count out of 5');
    // Throughput and counts are of all ranks together.
    const train = readMetrics(a).filter((r) => (r.event as unknown) === 'train');
    assert.ok(train[41].tokensPerSec > 0);
    // Rank 0's tensor count is flat from step 10 on (gradient all-reduce and metric reductions leak nothing).
    const tensors = (i: number): number => (train[i] as unknown as { memory: { numTensors: number } }).memory.numTensors;
    assert.equal(tensors(40), tensors(9));
    assert.equal(dp.metrics.loss, lossesDp[41]);
    // Rank 0 alone writes the run folder.
    assert.deepEqual(fs.readdirSync(a).filter((f) => f.startsWith('status') || f.startsWith('metrics')).sort(), ['metrics.jsonl', 'status.json']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(a, 'status.json'), 'utf8')).state, 'finished');
  });

  it('says at the start how many workers train and the global batch they make together', async () => {
    const lines: string[] = [];
    await runJob(tinyRecipe(path.join(dir, 'log'), { quiet: false, trainIters: 1, gradientAccumulationSteps: 3, distributed: { backend: 'threads', workers: 2 } }), { logSink: (_level, line) => lines.push(line) });
    assert.ok(lines.includes('floe: data parallel on 2 worker threads, global batch 4 × 3 × 2 = 24 (microBatchSize × gradientAccumulationSteps × ranks)'), lines.join('\n'));
  });

  it('a supervised regression on 2 workers reports the eval loss, MAE and RMSE of one process', async () => {
    const recipe = (outputDir: string, fields: Record<string, unknown>): Record<string, unknown> => ({
      type: 'supervised',
      code: DP_PROBE_PLUGIN,
      seed: 3,
      backend: 'wasm',
      quiet: true,
      progress: 'none',
      report: false,
      tensorboard: false,
      epochs: 2,
      microBatchSize: 8,
      maxGradNorm: 0,
      outputDir,
      // 61 eval rows: ranks get uneven shards, where a mean of per-rank RMSEs would be off.
      data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'sine', count: 301, noise: 0.05 }], trainEvalSplit: [0.8, 0.2] },
      model: { type: 'mlp', hidden: [16], activation: 'silu' },
      optimizer: { type: 'adam', lr: 1e-2, weightDecay: 0 },
      scheduler: { type: 'constant' },
      checkpoint: [],
      callbacks: [{ type: 'dp-probe' }],
      ...fields,
    });
    const a = path.join(dir, 'two-workers');
    const b = path.join(dir, 'one-process');
    await runJob(recipe(a, { distributed: { backend: 'threads', workers: 2 } }));
    await runJob(recipe(b, { gradientAccumulationSteps: 2, distributed: 'none' }));
    assert.ok(rankWeights(a, 0).equals(rankWeights(a, 1)));
    // Workers get the larger young generation by default.
    for (const rank of [0, 1]) assert.equal(rankLimits(a, rank).maxYoungGenerationSizeMb, new DistributedConfig().workerYoungGenerationMb);
    for (const metric of ['eval/loss', 'eval/mae', 'eval/rmse']) {
      assert.ok(relDiff(lastEval(a)[metric], lastEval(b)[metric]) < 1e-4, `${metric}: ${lastEval(a)[metric]} vs ${lastEval(b)[metric]}`);
    }
  });

  it('turns V8 allocation-site pretenuring off while the workers train, unless the recipe keeps it', async () => {
    const { calls, restore } = recordV8FlagCalls();
    try {
      await runJob(tinyRecipe(path.join(dir, 'off'), { trainIters: 2, distributed: { backend: 'threads', workers: 2 } }));
      assert.deepEqual(calls, ['--no-allocation-site-pretenuring', '--allocation-site-pretenuring']);
      calls.length = 0;
      await runJob(tinyRecipe(path.join(dir, 'kept'), { trainIters: 2, distributed: { backend: 'threads', workers: 2, allocationSitePretenuring: true } }));
      await runJob(tinyRecipe(path.join(dir, 'alone'), { trainIters: 2, distributed: 'none' }));
      assert.deepEqual(calls, [], 'neither a recipe that keeps it nor a single-process run touches the flag');
    } finally {
      restore();
    }
  });

  it('every rank resumes from the same checkpoint and ends where an uninterrupted run ends', async () => {
    const whole = path.join(dir, 'whole');
    const split = path.join(dir, 'split');
    const threads = { distributed: { backend: 'threads', workers: 2 }, trainIters: 12 };
    await runJob(tinyRecipe(whole, { ...threads, distributed: { backend: 'threads', workers: 2, workerYoungGenerationMb: 64 } }));
    assert.equal(rankLimits(whole, 1).maxYoungGenerationSizeMb, 64);
    const first: TrainingResult = await runJob(tinyRecipe(split, { ...threads, exitIteration: 5 }));
    assert.equal(first.status, 'stopped');
    assert.equal(first.globalStep, 5);
    const second = await runJob(tinyRecipe(split, { ...threads, checkpoint: [{ type: 'floe', saveEndOfTraining: false, autoResume: true }] }));
    assert.equal(second.globalStep, 12);
    assert.ok(rankWeights(split, 0).equals(rankWeights(split, 1)));
    assert.ok(rankWeights(split, 0).equals(rankWeights(whole, 0)), 'stopping, saving and resuming changes nothing');
  });

  it('Ctrl-C stops every worker at the same step: rank 0 saves, the run ends as stopped', async () => {
    const { out, child, exited, log } = await startMarkedRun(dir, 'signal');
    child.kill('SIGINT');
    // Saved and stopped cleanly, and the shell learns it was interrupted: 128 + SIGINT.
    assert.equal(await exited, 130, log.text);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.equal(status.state, 'stopped', log.text);
    assert.equal(status.stopReason, 'SIGINT');
    assert.ok(status.step < 63, 'stopped early');
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', `step-${String(status.step).padStart(6, '0')}`, 'manifest.json')), 'rank 0 saved the step it stopped at');
    assert.ok(rankWeights(out, 0).equals(rankWeights(out, 1)));
    assert.match(log.text, /received SIGINT/);
  });

  it('Ctrl-C while the workers are still starting (before training) stops after the first step, not at the end', async () => {
    const out = path.join(dir, 'early');
    const file = path.join(dir, 'recipe.yaml');
    fs.writeFileSync(file, JSON.stringify(tinyRecipe(out, { quiet: false, epochs: 3, distributed: { backend: 'threads', workers: 2 } })));
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', '..', 'bin', 'floe.js'), 'train', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let signalled = false;
    const onData = (d: Buffer): void => {
      output += d.toString();
      // The launcher installs its signal handlers just after it says it starts the workers,
      // which take ~1 s to load Floe and build their trainers.
      if (!signalled && output.includes('floe: data parallel on 2 worker threads')) {
        signalled = true;
        setTimeout(() => child.kill('SIGINT'), 150);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(await exited, 130, output);
    assert.ok(output.indexOf('received SIGINT') < output.indexOf("trainer 'sft'"), `the signal came before the workers built their trainers:\n${output}`);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.deepEqual([status.state, status.stopReason, status.step], ['stopped', 'SIGINT', 1], output);
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'step-000001', 'manifest.json')), 'rank 0 saved the step it stopped at');
  });

  it('one SIGTERM delivered twice within moments (GNU timeout: the process, then its group) still stops cleanly', async () => {
    const { out, child, exited, log } = await startMarkedRun(dir, 'twice');
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGTERM');
    assert.equal(await exited, 143, log.text);
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    assert.deepEqual([status.state, status.stopReason], ['stopped', 'SIGTERM'], log.text);
    assert.doesNotMatch(log.text, /again: exiting now/);
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', `step-${String(status.step).padStart(6, '0')}`, 'manifest.json')), 'rank 0 saved the step it stopped at');
  });

  it('says a worker lacks registrations made in the launching thread, and how to give them to it', async () => {
    // Registered here in code, not by the recipe's code:: the workers never see it.
    class LaunchOnlyCallback extends Callback {
      static override readonly type = 'launch-only';
    }
    const saved = snapshotRegistries();
    try {
      register(LaunchOnlyCallback);
      const recipe = tinyRecipe(path.join(dir, 'unregistered'), { distributed: { backend: 'threads', workers: 2 }, callbacks: [{ type: 'launch-only' }] });
      await assert.rejects(runJob(recipe), (error: unknown) => {
        assert.ok(error instanceof RankFailedError, String(error));
        assert.match(error.message, /^rank \d of 2 failed: Invalid recipe: callbacks\[0\]\.type 'launch-only' is not supported/);
        assert.match(error.message, /\nThe recipe is valid in the launching thread, so the workers lack classes registered there: .* runJob's workerModules; /);
        return true;
      });
    } finally {
      restoreRegistries(saved);
    }
  });

  it('workerModules: a ./path is found from the working directory; a missing module fails before any worker starts', async () => {
    const file = path.join(dir, 'register-probe.js');
    const floe = path.resolve(__dirname, '..', '..', 'src');
    fs.writeFileSync(file, `const { Callback, register } = require(${JSON.stringify(floe)});\nclass WorkerModuleProbe extends Callback {}\nWorkerModuleProbe.type = 'worker-module-probe';\nregister(WorkerModuleProbe);\n`);
    const saved = snapshotRegistries();
    const cwd = process.cwd();
    try {
      require(file); // the launching thread validates the recipe, so it needs the class too
      process.chdir(dir);
      const distributed = { backend: 'threads', workers: 2 };
      const out = path.join(dir, 'with-module');
      const result = await runJob(tinyRecipe(out, { distributed, trainIters: 2, callbacks: [{ type: 'worker-module-probe' }] }), { workerModules: ['./register-probe.js'] });
      assert.equal(result.globalStep, 2);
      const missing = path.join(dir, 'missing');
      await assert.rejects(runJob(tinyRecipe(missing, { distributed, trainIters: 2 }), { workerModules: ['./nope.js'] }), (error: unknown) => {
        assert.ok(error instanceof DistributedSetupError, String(error));
        assert.equal(
          error.message,
          `workerModules: cannot load './nope.js' for the worker threads (Cannot find module '${path.join(dir, 'nope.js')}'). Give the path of a built .js module (absolute, or ./relative to the working directory ${dir}) or an installed package name.`,
        );
        return true;
      });
      assert.ok(!fs.existsSync(path.join(missing, 'status.json')), 'no worker ran');
    } finally {
      process.chdir(cwd);
      restoreRegistries(saved);
    }
  });

  it('refuses a backend the workers could not start before starting any (the error one process gives, not one per rank)', async function () {
    if (isPackageInstalled(NATIVE_BACKEND_PACKAGES.tensorflow)) this.skip();
    const out = path.join(dir, 'no-backend');
    const recipe = tinyRecipe(out, { backend: 'tensorflow', distributed: { backend: 'threads', workers: 2 } });
    await assert.rejects(runJob(recipe), (error: unknown) => {
      assert.ok(error instanceof BackendUnavailableError, String(error));
      assert.match(error.message, /^Backend 'tensorflow' needs the package @tensorflow\/tfjs-node, which is not installed/);
      return true;
    });
    // No worker ran: none wrote the run's status.
    assert.ok(!fs.existsSync(path.join(out, 'status.json')));
  });

  describe('faults', () => {
    async function expectFailure(recipe: Record<string, unknown>): Promise<{ error: RankFailedError; afterFaultMs: number }> {
      let error: unknown;
      try {
        await runJob(recipe);
      } catch (e) {
        error = e;
      }
      const ended = Date.now();
      assert.ok(error instanceof RankFailedError, `expected a RankFailedError, got ${String(error)}`);
      const faultFile = path.join(recipe.outputDir as string, 'fault-rank1.json');
      assert.ok(fs.existsSync(faultFile), `the job failed before the injected fault: ${error.message}`);
      const fault = JSON.parse(fs.readFileSync(faultFile, 'utf8')) as { at: number };
      return { error, afterFaultMs: ended - fault.at };
    }

    function assertFailedWithCheckpoint(out: string, step: number): void {
      const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
      assert.equal(status.state, 'failed');
      const ckpt = path.join(out, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
      assert.ok(fs.existsSync(path.join(ckpt, 'manifest.json')), `${ckpt} is complete`);
    }

    const faulty = (out: string, probe: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> =>
      tinyRecipe(out, {
        distributed: { backend: 'threads', workers: 2 },
        checkpoint: [{ type: 'floe', saveEveryNSteps: 2, saveEndOfTraining: false }],
        callbacks: [{ type: 'dp-probe', faultRank: 1, ...probe }],
        ...extra,
      });

    it('an exception on one rank ends the whole job within 2 s, status failed, last checkpoint intact', async () => {
      const out = path.join(dir, 'throw');
      const { error, afterFaultMs } = await expectFailure(faulty(out, { faultStep: 3, fault: 'throw' }));
      assert.equal(error.rank, 1);
      assert.match(error.message, /rank 1 of 2 failed: callback 'dp-probe' \(DpProbeCallback\) failed in onStepEnd\(\) at \S+dp-probe-plugin\.js:\d+:\d+: dp-probe: injected failure on rank 1 at step 3/);
      assert.ok(afterFaultMs < 2000, `ended ${afterFaultMs} ms after the fault`);
      assertFailedWithCheckpoint(out, 2);
    });

    it("a rank failing while rank 0 is busy past the grace time is the cause (not rank 0's termination); status.json keeps rank 0's step and checkpoint", async () => {
      const out = path.join(dir, 'busy0');
      const callbacks = [
        { type: 'dp-probe', faultRank: 1, faultStep: 3, fault: 'throw' },
        { type: 'dp-probe', faultRank: 0, faultStep: 3, fault: 'stall', stallMs: 4000 },
        { type: 'status', interval: 1 },
      ];
      const { error } = await expectFailure(faulty(out, {}, { callbacks }));
      assert.equal(error.rank, 1);
      assert.match(error.message, /^rank 1 of 2 failed: .*injected failure on rank 1 at step 3/);
      const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
      assert.equal(status.state, 'failed');
      assert.match(status.error, /^rank 1 of 2 failed: .*injected failure on rank 1 at step 3/);
      assert.equal(status.step, 2, 'the step rank 0 last recorded');
      assert.equal(status.checkpoint, path.join(out, 'checkpoints', 'step-000002'));
      assert.equal(status.etaSec, undefined);
    });

    it('a rank exiting non-zero ends the whole job within 2 s', async () => {
      const out = path.join(dir, 'exit');
      const { error, afterFaultMs } = await expectFailure(faulty(out, { faultStep: 3, fault: 'exit' }));
      assert.match(error.message, /rank 1 of 2 failed: worker exited with code 3/);
      assert.ok(afterFaultMs < 2000, `ended ${afterFaultMs} ms after the fault`);
      assertFailedWithCheckpoint(out, 2);
    });

    it('a rank that never joins a collective fails the job after the timeout, naming the ranks and the collective', async () => {
      const out = path.join(dir, 'stall');
      const { error, afterFaultMs } = await expectFailure(faulty(out, { faultStep: 2, fault: 'stall', stallMs: 5000 }, { distributed: { backend: 'threads', workers: 2, timeoutSec: 1 } }));
      assert.match(error.message, /Rank 0 timed out after 1 s in allReduceSum #\d+ \(\d+ floats\): waiting for rank 1 \(last in allReduceSum #\d+/);
      assert.ok(afterFaultMs < 3500, `ended ${afterFaultMs} ms after the stall began`);
    });
  });
});
