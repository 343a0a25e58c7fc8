import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { runJob, SignalStopCallback, TrainingResult, verifyManifest } from '../../src';
import { markStatusExited } from '../../src/callbacks/writers/mark-status-exited';
import { captureLogger, longRecipe, tempDir, tinyRecipe } from './fixtures/tiny-run';

const CHILD = path.join(__dirname, 'fixtures', 'signal-child.js');

function readJson(file: string): Record<string, any> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // not written yet
  }
}

/** Resolves with the exit code and output once the child exits (kills it after `ms`). */
function exited(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' can precede the last 'data' events; 'close' comes after them.
      child.on('close', () => resolve({ code, signal, stdout, stderr }));
    });
  });
}

describe('SIGTERM', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('sigterm');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finishes the step, saves a complete checkpoint, writes status stopped, exits 0, and the run resumes from it', async () => {
    const run = path.join(dir, 'run');
    const child = spawn(process.execPath, [CHILD, run], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done = exited(child, 40_000);
    // Wait until training has visibly made progress.
    const deadline = Date.now() + 30_000;
    let seen: Record<string, any> | undefined;
    while (Date.now() < deadline && child.exitCode === null) {
      seen = readJson(path.join(run, 'status.json'));
      if (seen?.state === 'running' && seen.step >= 20) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(seen !== undefined && seen.step >= 20, `child made no progress: ${JSON.stringify(seen)}`);
    child.kill('SIGTERM');
    const { code, signal, stdout, stderr } = await done;
    assert.equal(signal, null, `killed by ${signal}; stderr:\n${stderr}`);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /warn: received SIGTERM: finishing the current step, saving a checkpoint and stopping/);

    const result = JSON.parse(stdout) as TrainingResult;
    assert.equal(result.status, 'stopped');
    assert.equal(result.stopReason, 'SIGTERM');
    assert.ok(result.globalStep > seen.step);
    const ckpt = path.join(run, 'checkpoints', `step-${String(result.globalStep).padStart(6, '0')}`);
    assert.equal(result.lastCheckpointPath, ckpt);
    await verifyManifest(ckpt); // every file present with its checksum
    const state = readJson(path.join(ckpt, 'trainer-state.json'))?.state;
    assert.equal(state.globalStep, result.globalStep);
    assert.equal(state.batchInEpoch % 2, 0, 'a whole accumulation cycle: the step was finished, not cut');

    const status = readJson(path.join(run, 'status.json'));
    assert.equal(status?.state, 'stopped');
    assert.equal(status?.stopReason, 'SIGTERM');
    assert.equal(status?.checkpoint, ckpt);

    // Resume in this process and run 4 more steps.
    let resumedAt = -1;
    const resumed = await runJob(longRecipe(run, { progress: 'none', exitIteration: result.globalStep + 4 }), {
      logger: captureLogger(),
      resumeFrom: ckpt,
      onTrainerReady: (trainer) => void (resumedAt = trainer.globalStep),
    });
    assert.equal(resumedAt, result.globalStep);
    assert.equal(resumed.globalStep, result.globalStep + 4);
    assert.equal(resumed.status, 'stopped');
    assert.ok(Number.isFinite(resumed.finalLoss));
  });
});

describe('a second signal', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('sigtwice');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const statusFile of ['status.json', 'logs/status.json']) {
    it(`exits at once with the signal's code and leaves the status file (${statusFile}) failed, not running`, async () => {
      const run = path.join(dir, 'run');
      const statusPath = path.join(run, statusFile);
      const moved = statusFile === 'status.json' ? {} : { callbacks: [{ type: 'status', file: statusFile }] };
      const exits: Array<number | undefined> = [];
      const realExit = process.exit;
      let during: Record<string, any> | undefined;
      await runJob(tinyRecipe(run, { epochs: 2, statusInterval: 1, ...moved }), {
        logger: captureLogger(),
        onTrainerReady: (trainer) => {
          const callback = trainer.callbackList.find(SignalStopCallback);
          assert.ok(callback !== undefined);
          trainer.callbackList.callbacks.push(
            Object.assign(Object.create(SignalStopCallback.prototype) as SignalStopCallback, {
              onStepEnd: async () => {
                if (trainer.globalStep !== 3) return;
                // The status callback writes in the background: let its first writes land.
                for (let i = 0; i < 100 && !fs.existsSync(statusPath); i++) await new Promise((r) => setTimeout(r, 20));
                // Two Ctrl-Cs within one step, with process.exit recorded instead of run.
                (process as { exit: (code?: number) => void }).exit = (code?: number) => void exits.push(code);
                try {
                  process.emit('SIGINT', 'SIGINT');
                  process.emit('SIGINT', 'SIGINT');
                } finally {
                  process.exit = realExit;
                }
                during = JSON.parse(fs.readFileSync(statusPath, 'utf8'));
              },
              onTrainBegin: async () => undefined,
              onTrainEnd: async () => undefined,
              dispose: async () => undefined,
            }),
          );
        },
      });
      assert.deepEqual(exits, [130]);
      assert.equal(during?.state, 'failed');
      assert.match(during?.error, /^received SIGINT twice: exited at once, without saving/);
      assert.equal(typeof during?.step, 'number', 'the other fields are kept');
    });
  }

  it('markStatusExited keeps the fields, sets failed, and does nothing without a status file', () => {
    const file = path.join(dir, 'status.json');
    fs.writeFileSync(file, JSON.stringify({ state: 'running', step: 7, loss: 1.5, etaSec: 20 }));
    markStatusExited(dir, 'why');
    const status = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual([status.state, status.step, status.loss, status.error, status.etaSec], ['failed', 7, 1.5, 'why', undefined]);
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    markStatusExited(empty, 'why');
    assert.deepEqual(fs.readdirSync(empty), []);
  });
});
