import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, NonFiniteError, readTensorBoardEvents, register, runJob } from '../../src';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe, trainRecords } from './fixtures/tiny-run';

/** Loss values of every micro-batch by the optimizer step it belongs to (1-based). */
const lossesByStep = new Map<number, number[]>();

/** Records each micro-batch's loss; the second micro-batch of optimizer step 8 throws (its first one produced a loss). */
class ThrowsInStep8Trainer extends TinyTrainer {
  static override readonly type: string = 'tiny-throws-in-step-8';
  override loss(batch: TinyBatch): tf.Scalar {
    const step = this.globalStep + 1;
    const seen = lossesByStep.get(step) ?? [];
    if (step === 8 && seen.length === 1) throw new Error('boom in step 8');
    const loss = super.loss(batch);
    lossesByStep.set(step, [...seen, loss.dataSync()[0]]);
    return loss;
  }
}

/** The first micro-batch of optimizer step 6 throws: no step completed since the log at step 5. */
class ThrowsAtStep6Trainer extends TinyTrainer {
  static override readonly type: string = 'tiny-throws-at-step-6';
  override loss(batch: TinyBatch): tf.Scalar {
    if (this.globalStep === 5) throw new Error('boom at step 6');
    return super.loss(batch);
  }
}

/** Poisons the loss of optimizer step 7 with NaN. */
class NanAtStep7Trainer extends TinyTrainer {
  static override readonly type: string = 'tiny-nan-at-step-7';
  override loss(batch: TinyBatch): tf.Scalar {
    const loss = super.loss(batch);
    return this.globalStep === 6 ? loss.mul(NaN) : loss;
  }
}

/** Throws in onStepEnd of step 7, and again from onLog once the run has failed. */
class BrokenAtStep7Callback extends Callback {
  static override readonly type = 'test-broken-at-7';
  override async onStepEnd(): Promise<void> {
    if (this.trainer.globalStep === 7) throw new Error('plugin broke at step 7');
  }
  override async onLog(): Promise<void> {
    if (this.trainer.globalStep === 7) throw new Error('plugin still broken');
  }
}

describe("A failed run's last log window", () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('failed-window');
    lossesByStep.clear();
    for (const cls of [ThrowsInStep8Trainer, ThrowsAtStep6Trainer, NanAtStep7Trainer, BrokenAtStep7Callback]) register(cls);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the steps completed before a throwing loss to metrics.jsonl and TensorBoard, marked partial, without the failing step', async () => {
    const before = tf.memory().numTensors;
    // 8 micro-batches per epoch, 2 per step: 4 steps per epoch; logs at 5 and 10.
    const recipe = tinyRecipe(dir, { type: 'tiny-throws-in-step-8', epochs: 3, gradientAccumulationSteps: 2, logInterval: 5, tensorboard: true, checkpoint: [] });
    await assert.rejects(runJob(recipe, { logger: captureLogger() }), /boom in step 8/);

    const train = await trainRecords(dir);
    assert.deepEqual(train.map((r) => r.step), [5, 7], 'the full window at 5, the steps 6-7 completed before the failure, nothing for step 8');
    const [full, last] = train;
    assert.equal(full.windowSteps, 5);
    assert.equal(full.partial, undefined);
    assert.equal(last.partial, true);
    assert.equal(last.windowSteps, 2);
    assert.equal(last.epoch, 1);
    // The mean over the 4 micro-batches of steps 6 and 7; step 8's one loss is left out.
    const window = [...lossesByStep.get(6)!, ...lossesByStep.get(7)!];
    assert.equal(window.length, 4);
    assert.equal(lossesByStep.get(8)!.length, 1);
    assert.ok(Math.abs(last.loss! - window.reduce((s, v) => s + v, 0) / 4) < 1e-5, `loss ${last.loss} vs ${window}`);
    assert.equal(last.lr, 0.05);
    assert.equal(typeof last.gradNorm, 'number');
    assert.ok(last.samplesPerSec! > 0, `samplesPerSec ${last.samplesPerSec}`);

    const [eventFile] = fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    const events = await readTensorBoardEvents(path.join(dir, eventFile), { strict: true });
    const scalar = (tag: string): [number, number][] => events.flatMap((e) => (e.scalars ?? []).filter((s) => s.tag === tag).map((s) => [e.step, s.value] as [number, number]));
    assert.deepEqual(scalar('train/loss'), train.map((r) => [r.step, Math.fround(r.loss!)]));
    assert.deepEqual(scalar('train/window_steps'), [[7, 2]], 'charted at the partial window only');

    const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed');
    assert.equal(status.step, 7);
    assert.equal(status.loss, last.loss);
    assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
  });

  it('writes no record when no step completed since the last log', async () => {
    await assert.rejects(runJob(tinyRecipe(dir, { type: 'tiny-throws-at-step-6', logInterval: 5, checkpoint: [] }), { logger: captureLogger() }), /boom at step 6/);
    assert.deepEqual((await trainRecords(dir)).map((r) => r.step), [5]);
  });

  it('logs the step the non-finite guard stops at, with its NaN loss', async () => {
    const error = await runJob(tinyRecipe(dir, { type: 'tiny-nan-at-step-7', logInterval: 5, checkpoint: [] }), { logger: captureLogger() }).then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NonFiniteError, String(error));
    const train = await trainRecords(dir);
    assert.deepEqual(train.map((r) => [r.step, r.windowSteps, r.partial]), [[5, 5, undefined], [7, 2, true]]);
    assert.ok(Number.isNaN(train[1].loss), `loss ${train[1].loss}`);
  });

  it('still writes the window when the callback that failed the run throws again from onLog', async () => {
    const lines: string[] = [];
    const recipe = tinyRecipe(dir, { logInterval: 5, checkpoint: [], callbacks: [{ type: 'test-broken-at-7' }] });
    await assert.rejects(runJob(recipe, { logger: captureLogger(lines) }), /^TrainingError: callback 'test-broken-at-7' \(BrokenAtStep7Callback\) failed in onStepEnd\(\).*plugin broke at step 7$/);
    assert.deepEqual((await trainRecords(dir)).map((r) => [r.step, r.windowSteps, r.partial]), [[5, 5, undefined], [7, 2, true]]);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('warn:')).map((l) => l.replace(/ at \S+:\d+:\d+:/, ' at <line>:')),
      ["warn: could not log steps 6-7 before the failure: callback 'test-broken-at-7' (BrokenAtStep7Callback) failed in onLog() at <line>: plugin still broken"],
    );
  });

  it('marks the last window of a run that finishes between two log steps partial too', async () => {
    const result = await runJob(tinyRecipe(dir, { logInterval: 3, checkpoint: [] }), { logger: captureLogger() });
    assert.equal(result.status, 'finished');
    assert.deepEqual((await trainRecords(dir)).map((r) => [r.step, r.windowSteps, r.partial]), [[3, 3, undefined], [6, 3, undefined], [8, 2, true]]);
  });
});
