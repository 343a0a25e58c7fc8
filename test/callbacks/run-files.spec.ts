import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, crc32c, FloeError, MetricsRecord, readJsonl, readTensorBoardEvents, register, runJob, StatusCallback, Trainer } from '../../src';
import { readRunMetrics } from '../../src/report/run-metrics';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe } from './fixtures/tiny-run';

/** Reads status.json as the status callback last flushed it. */
async function statusOf(trainer: Trainer): Promise<Record<string, any>> {
  const status = trainer.callbackList.find(StatusCallback) as StatusCallback;
  await status.flush();
  return JSON.parse(fs.readFileSync(status.file, 'utf8'));
}

/** Runs `fn` in onStepEnd of one step. */
class AtStep extends Callback {
  static override readonly type = 'test-at-step';
  constructor(trainer: Trainer, private readonly step: number, private readonly fn: (trainer: Trainer) => Promise<void> | void) {
    super(trainer, {} as never);
  }
  override async onStepEnd(): Promise<void> {
    if (this.trainer.globalStep === this.step) await this.fn(this.trainer);
  }
}

/** Splits a TFRecord file by hand and checks both masked CRC32Cs of every record. */
function checkTfRecordCrcs(bytes: Buffer): number {
  const mask = (c: number): number => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
  let offset = 0;
  let records = 0;
  while (offset < bytes.length) {
    const len = bytes.subarray(offset, offset + 8);
    const n = Number(len.readBigUInt64LE());
    assert.equal(bytes.readUInt32LE(offset + 8), mask(crc32c(len)), `length CRC of record ${records}`);
    const data = bytes.subarray(offset + 12, offset + 12 + n);
    assert.equal(bytes.readUInt32LE(offset + 12 + n), mask(crc32c(data)), `data CRC of record ${records}`);
    offset += 16 + n;
    records++;
  }
  assert.equal(offset, bytes.length);
  return records;
}

describe('Run files: metrics.jsonl, status.json, TensorBoard events', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('files');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes per-step and eval records, a live and a final status, and TensorBoard scalars with valid CRCs', async () => {
    const before = tf.memory().numTensors;
    const sigterm = process.listenerCount('SIGTERM');
    let running: Record<string, any> | undefined;
    const result = await runJob(tinyRecipe(dir, { epochs: 4, logInterval: 4, evalInterval: 8, statusInterval: 5, tensorboard: true }), {
      logger: captureLogger(),
      onTrainerReady: (trainer) => {
        assert.equal(process.listenerCount('SIGTERM'), sigterm, 'handlers are installed only while train() runs');
        trainer.callbackList.callbacks.push(new AtStep(trainer, 12, async (t) => void (running = await statusOf(t))));
      },
    });
    assert.equal(result.globalStep, 32);
    assert.equal(process.listenerCount('SIGTERM'), sigterm, 'signal handlers removed after training');

    const records = await readJsonl<MetricsRecord>(path.join(dir, 'metrics.jsonl'));
    const train = records.filter((r) => r.event === 'train');
    const evals = records.filter((r) => r.event === 'eval');
    assert.deepEqual(train.map((r) => r.step), [4, 8, 12, 16, 20, 24, 28, 32]);
    assert.deepEqual(evals.map((r) => r.step), [8, 16, 24, 32]);
    for (const r of train) {
      for (const key of ['epoch', 'loss', 'lr', 'gradNorm', 'samplesPerSec', 'elapsed']) assert.equal(typeof r[key], 'number', `${key} at step ${r.step}`);
      // Tabular batches count no tokens: no `tokensPerSec: 0` that reads as a stalled run.
      assert.equal('tokensPerSec' in r, false, `tokensPerSec at step ${r.step}`);
      assert.equal(r.epoch, Math.floor((r.step - 1) / 8));
      assert.ok(r.samplesPerSec! > 0 && r.lr === 0.05);
      assert.ok(r.memory!.numTensors > 0 && r.memory!.numBytes > 0 && r.memory!.rss > 1e6, JSON.stringify(r.memory));
      assert.ok(!Number.isNaN(Date.parse(r.time)));
    }
    assert.ok(train[7].loss! < train[0].loss!, 'loss fell');
    assert.ok(evals.every((r) => typeof r['eval/loss'] === 'number'));

    // Live status at step 12: written for step 10 (every 5 steps), with the loss logged at step 8.
    assert.equal(running?.state, 'running');
    assert.equal(running?.step, 10);
    assert.equal(running?.totalSteps, 32);
    assert.equal(running?.loss, train[1].loss);
    assert.deepEqual(running?.eval, { 'eval/loss': evals[0]['eval/loss'] });
    assert.ok(typeof running?.etaSec === 'number' && running.etaSec >= 0);
    assert.equal(running.etaSec, Math.round(running.etaSec * 1000) / 1000, 'seconds to the millisecond, as elapsedSec');

    const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    assert.equal(status.state, 'finished');
    assert.equal(status.step, 32);
    assert.equal(status.totalSteps, 32);
    assert.equal(status.loss, train[7].loss);
    assert.equal(status.eval['eval/loss'], evals[3]['eval/loss']);
    assert.equal(status.checkpoint, result.lastCheckpointPath);
    assert.equal(status.etaSec, undefined);
    assert.equal(status.pid, process.pid);
    assert.equal(status.host, os.hostname());
    assert.ok(fs.existsSync(path.join(status.checkpoint, 'manifest.json')));

    const [eventFile] = fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    assert.equal(checkTfRecordCrcs(fs.readFileSync(path.join(dir, eventFile))), 1 + 8 + 4);
    const events = await readTensorBoardEvents(path.join(dir, eventFile), { strict: true });
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    const scalar = (tag: string): [number, number][] => events.flatMap((e) => (e.scalars ?? []).filter((s) => s.tag === tag).map((s) => [e.step, s.value] as [number, number]));
    assert.deepEqual(scalar('train/loss'), train.map((r) => [r.step, Math.fround(r.loss!)]));
    assert.deepEqual(scalar('train/lr'), train.map((r) => [r.step, Math.fround(0.05)]));
    assert.deepEqual(scalar('eval/loss'), evals.map((r) => [r.step, Math.fround(r['eval/loss'] as number)]));
    assert.equal(scalar('train/grad_norm').length, 8);
    // Tabular batches have no token count: samples/s is charted, tokens/s is not.
    assert.equal(scalar('train/samples_per_sec').length, 8);
    assert.deepEqual(scalar('train/tokens_per_sec'), []);
    assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
  });

  it('a resumed run keeps one record per step in metrics.jsonl: the earlier run\'s records past the checkpoint move to metrics.superseded.jsonl', async () => {
    const recipe = tinyRecipe(dir, { epochs: 2, logInterval: 3, evalInterval: 4, evalAtEnd: false, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }] });
    await runJob(recipe, { logger: captureLogger() });
    const file = path.join(dir, 'metrics.jsonl');
    const stepsOf = async (f: string): Promise<string[]> => (await readJsonl<MetricsRecord>(f)).map((r) => `${r.event}@${r.step}`);
    const first = await stepsOf(file);
    assert.deepEqual(first, ['train@3', 'eval@4', 'train@6', 'eval@8', 'train@9', 'train@12', 'eval@12', 'train@15', 'eval@16', 'train@16']);
    // Resume from step 8 (as after a crash that lost the later checkpoints): steps 9-16 are trained again.
    const lines: string[] = [];
    await runJob(recipe, { logger: captureLogger(lines), resumeFrom: path.join(dir, 'checkpoints', 'step-000008') });
    assert.deepEqual(await stepsOf(file), first, 'each step once, in order, the later ones from the resumed run');
    assert.deepEqual(await stepsOf(path.join(dir, 'metrics.superseded.jsonl')), first.slice(4));
    assert.ok(lines.some((l) => /^metrics: 6 records logged after step 8 by the run before this resume moved to .*metrics\.superseded\.jsonl$/.test(l)), lines.join('\n'));
    // Starting over clears it with the rest of the earlier run's files.
    await runJob({ ...recipe, epochs: 1, overwriteOutputDir: true }, { logger: captureLogger() });
    assert.equal(fs.existsSync(path.join(dir, 'metrics.superseded.jsonl')), false);
  });

  it('a resumed run\'s TensorBoard file starts with a SessionLog START at the first step it trains, so the earlier run\'s later points are dropped', async () => {
    const recipe = tinyRecipe(dir, { epochs: 2, logInterval: 3, evalInterval: 4, evalAtEnd: false, metricsLog: false, tensorboard: true, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }] });
    await runJob(recipe, { logger: captureLogger() });
    const before = await readRunMetrics(dir);
    // Resumed from step 8 and stopped at 10, logging every 5 steps: the earlier run's point at 9 (after
    // the checkpoint) must go although nothing is logged at 9 again.
    await runJob({ ...recipe, trainIters: 10, logInterval: 5 }, { logger: captureLogger(), resumeFrom: path.join(dir, 'checkpoints', 'step-000008') });
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.')).sort();
    assert.equal(files.length, 2);
    const resumed = await readTensorBoardEvents(path.join(dir, files[1]), { strict: true });
    assert.deepEqual(resumed.slice(0, 2).map((e) => [e.step, e.sessionStart]), [[0, undefined], [9, true]]);
    const after = await readRunMetrics(dir);
    assert.deepEqual(before.train.map((p) => p.step), [3, 6, 9, 12, 15, 16]);
    assert.deepEqual(after.train.map((p) => p.step), [3, 6, 10], 'steps 9-16 of the abandoned run are gone');
    assert.deepEqual(after.eval.map((p) => p.step), [4, 8]);
  });

  it('names a new checkpoint in status.json as soon as it is saved, not at the next status interval', async () => {
    let atStep5: Record<string, any> | undefined;
    await runJob(tinyRecipe(dir, { statusInterval: 100, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }] }), {
      logger: captureLogger(),
      onTrainerReady: (trainer) => void trainer.callbackList.callbacks.push(new AtStep(trainer, 5, async (t) => void (atStep5 = await statusOf(t)))),
    });
    assert.equal(atStep5?.state, 'running');
    assert.equal(path.basename(atStep5?.checkpoint ?? ''), 'step-000004');
    assert.equal(atStep5?.step, 4, 'written when step 4 saved');
  });

  it('marks status.json failed with the error message, and the error still reaches the caller', async () => {
    class FailingTrainer extends TinyTrainer {
      static override readonly type: string = 'tiny-failing';
      override loss(batch: TinyBatch): tf.Scalar {
        if (this.globalStep === 5) throw new Error('boom at step 5');
        return super.loss(batch);
      }
    }
    register(FailingTrainer);
    const sigterm = process.listenerCount('SIGTERM');
    await assert.rejects(runJob(tinyRecipe(dir, { type: 'tiny-failing' }), { logger: captureLogger() }), /boom at step 5/);
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed');
    // The loss's error, with the class, the batch and the plugin line it came from.
    assert.match(status.error, /^FailingTrainer\.loss\(\) threw on training batch 6 of epoch 1 \(step 6\), batch \{x: float32\[8,4\], y: float32\[8,1\]\} at \S+run-files\.spec\.js:\d+:\d+: boom at step 5$/);
    assert.equal(status.step, 5);
    assert.equal(process.listenerCount('SIGTERM'), sigterm, 'signal handlers removed after a failure');
    // The metrics file was closed cleanly: every line parses.
    assert.equal((await readJsonl(path.join(dir, 'metrics.jsonl'))).length, 5);
  });

  it('a metrics file or TensorBoard folder that cannot be created fails the run with a clear FloeError, not a hang', async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'x'), 'a file in the way');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ type: 'metrics-jsonl', file: 'x/m.jsonl' }, /^Cannot write .*m\.jsonl: cannot create its folder .*x: a file of that name is in the way \(EEXIST\)$/],
      [{ type: 'tensorboard', logDir: 'x/tb' }, /^Cannot write TensorBoard events to .*tb: a part of the path is a file, not a folder \(ENOTDIR\)$/],
    ];
    // Node's recursive mkdir never returns below /proc: the run hung before its first step.
    if (fs.existsSync('/proc/self')) cases.push([{ type: 'tensorboard', logDir: '/proc/floe-tb' }, /^Cannot write TensorBoard events to \/proc\/floe-tb: /]);
    for (const [callback, message] of cases) {
      await assert.rejects(runJob(tinyRecipe(dir, { overwriteOutputDir: true, callbacks: [callback] }), { logger: captureLogger() }), (e: unknown) => {
        assert.ok(e instanceof FloeError, String(e));
        assert.match(e.message, message);
        return true;
      });
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')).state, 'failed');
    }
  });

  it('writes a failed status when setup fails before any callback exists', async () => {
    await assert.rejects(runJob(tinyRecipe(dir, { data: { examples: 4 } }), { logger: captureLogger() }), /training split has no batches/);
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed');
    assert.match(status.error, /training split has no batches/);
  });

  it('stops cleanly when the kill-switch file appears: finishes the step, saves, removes the file', async () => {
    const lines: string[] = [];
    const stop = path.join(dir, 'STOP');
    const result = await runJob(tinyRecipe(dir, { epochs: 5, killSwitchFile: 'STOP' }), {
      logger: captureLogger(lines),
      // Created after the kill switch looked at step 4, so it acts at step 5.
      onTrainerReady: (trainer) => void trainer.callbackList.callbacks.push(new AtStep(trainer, 4, () => fs.writeFileSync(stop, ''))),
    });
    assert.equal(result.status, 'stopped');
    assert.equal(result.globalStep, 5);
    assert.equal(result.stopReason, `kill-switch file ${stop} found`);
    assert.equal(result.lastCheckpointPath, path.join(dir, 'checkpoints', 'step-000005'));
    assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'step-000005', 'manifest.json')));
    assert.equal(fs.existsSync(stop), false);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')).state, 'stopped');
    assert.ok(lines.includes('warn: kill-switch file found: stopping after step 5 and saving a checkpoint'), lines.join('\n'));
  });
});
