import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { Callback, register, runJob, TrainerControl } from '../../src';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe, trainRecords } from './fixtures/tiny-run';

/** Loss values of every micro-batch by the optimizer step it belongs to (1-based). */
const lossesByStep = new Map<number, number[]>();

/** Records each training micro-batch's loss (not the evaluation's). */
class LossRecordingTrainer extends TinyTrainer {
  static override readonly type: string = 'tiny-records-losses';
  override loss(batch: TinyBatch): tf.Scalar {
    const loss = super.loss(batch);
    const step = this.globalStep + 1;
    if (this.isTraining) lossesByStep.set(step, [...(lossesByStep.get(step) ?? []), loss.dataSync()[0]]);
    return loss;
  }
}

/** Asks for a stop as optimizer step 8 begins: the run stops after that step's first micro-batch. */
class StopsInStep8Callback extends Callback {
  static override readonly type = 'test-stops-in-step-8';
  override async onStepBegin(control: TrainerControl): Promise<void> {
    if (this.trainer.globalStep === 7) control.stop('stop requested in step 8');
  }
}

/** Asks for a stop as optimizer step 6 begins, right after the log record of step 5. */
class StopsInStep6Callback extends Callback {
  static override readonly type = 'test-stops-in-step-6';
  override async onStepBegin(control: TrainerControl): Promise<void> {
    if (this.trainer.globalStep === 5) control.stop('stop requested in step 6');
  }
}

describe("A run stopped mid accumulation cycle: its last log window", () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('stopped-window');
    lossesByStep.clear();
    for (const cls of [LossRecordingTrainer, StopsInStep8Callback, StopsInStep6Callback]) register(cls);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // 8 micro-batches per epoch, 2 per step: 4 steps per epoch; logs at 5 and 10.
  const recipe = (callback: string): Record<string, unknown> =>
    tinyRecipe(dir, { type: 'tiny-records-losses', epochs: 3, gradientAccumulationSteps: 2, logInterval: 5, checkpoint: [], callbacks: [{ type: callback }] });

  it("covers the completed steps only, not the dropped cycle's micro-batch", async () => {
    const result = await runJob(recipe('test-stops-in-step-8'), { logger: captureLogger() });
    assert.equal(result.status, 'stopped');
    assert.equal(result.globalStep, 7);
    assert.equal(lossesByStep.get(8)?.length, 1, 'step 8 trained one micro-batch before the stop');
    const train = await trainRecords(dir);
    assert.deepEqual(train.map((r) => [r.step, r.windowSteps, r.partial]), [[5, 5, undefined], [7, 2, true]]);
    // The mean over the 4 micro-batches of steps 6 and 7; step 8's one loss is left out.
    const window = [...lossesByStep.get(6)!, ...lossesByStep.get(7)!];
    assert.equal(window.length, 4);
    const last = train[1];
    assert.ok(Math.abs(last.loss! - window.reduce((s, v) => s + v, 0) / 4) < 1e-5, `loss ${last.loss} vs ${window} (step 8: ${lossesByStep.get(8)})`);
    assert.equal(result.finalLoss, last.loss);
  });

  it('writes no record when no step completed since the last one', async () => {
    const result = await runJob(recipe('test-stops-in-step-6'), { logger: captureLogger() });
    assert.equal(result.status, 'stopped');
    assert.equal(result.globalStep, 5);
    const train = await trainRecords(dir);
    assert.deepEqual(train.map((r) => [r.step, r.windowSteps, r.partial]), [[5, 5, undefined]]);
    assert.equal(result.finalLoss, train[0].loss);
  });
});
