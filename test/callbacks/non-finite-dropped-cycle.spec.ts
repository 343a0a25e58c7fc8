import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, NonFiniteError, NonFiniteGuard, register, runJob, TrainerControl } from '../../src';
import { readTrainerStateFile } from '../../src/checkpoint';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe, trainRecords } from './fixtures/tiny-run';

/** Poisons the training loss of every micro-batch of optimizer step 8 with NaN. */
class NanInStep8Trainer extends TinyTrainer {
  static override readonly type: string = 'tiny-nan-in-step-8';
  override loss(batch: TinyBatch): tf.Scalar {
    const loss = super.loss(batch);
    return this.isTraining && this.globalStep === 7 ? loss.mul(NaN) : loss;
  }
}

/** Asks for a stop as optimizer step 8 begins: the run stops after that step's first micro-batch, and drops it. */
class StopsInStep8Callback extends Callback {
  static override readonly type = 'test-nan-stops-in-step-8';
  override async onStepBegin(control: TrainerControl): Promise<void> {
    if (this.trainer.globalStep === 7) control.stop('stop requested in step 8');
  }
}

describe('nonFinite: stop and a NaN loss in a dropped accumulation cycle', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('nonfinite-dropped');
    register(NanInStep8Trainer);
    register(StopsInStep8Callback);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // 8 micro-batches per epoch, 2 per step: 4 steps per epoch; logs at 5 and 10, saves only at the end.
  const recipe = (fields: Record<string, unknown> = {}): Record<string, unknown> =>
    tinyRecipe(dir, { type: 'tiny-nan-in-step-8', epochs: 3, gradientAccumulationSteps: 2, logInterval: 5, nonFinite: 'stop', checkpoint: [{ type: 'floe', saveEveryNSteps: 100 }], ...fields });

  it('stops at the last completed step with that step saved and logged, the NaN micro-batch left out', async () => {
    const before = tf.memory().numTensors;
    const result = await runJob(recipe({ callbacks: [{ type: 'test-nan-stops-in-step-8' }] }), { logger: captureLogger() });
    assert.deepEqual([result.status, result.stopReason, result.globalStep], ['stopped', 'stop requested in step 8', 7]);
    const saved = path.join(dir, 'checkpoints', 'step-000007');
    assert.equal(result.lastCheckpointPath, saved);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')), ['step-000007']);
    // Epoch 2 (index 1), after step 7's micro-batches 5-6: the dropped micro-batch 7 is trained again on resume.
    const { state } = await readTrainerStateFile(saved);
    assert.deepEqual([state.globalStep, state.epochIndex, state.batchInEpoch], [7, 1, 6]);
    const train = await trainRecords(dir);
    assert.deepEqual(train.map((r) => [r.step, r.windowSteps, r.partial]), [[5, 5, undefined], [7, 2, true]]);
    assert.ok(Number.isFinite(train[1].loss), `last logged loss ${train[1].loss}`);
    assert.equal(result.finalLoss, train[1].loss);
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    assert.deepEqual([status.state, status.step, status.stopReason, status.checkpoint], ['stopped', 7, 'stop requested in step 8', saved]);
    assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
  });

  it("NonFiniteGuard.dropStep forgets the dropped step's reads, landed or pending, and keeps an earlier step's", async () => {
    const nan = tf.scalar(NaN);
    try {
      const landed = new NonFiniteGuard(() => undefined);
      landed.watch('loss', nan, 4);
      await new Promise((resolve) => setImmediate(resolve));
      assert.throws(() => landed.check(), NonFiniteError);
      landed.dropStep(4);
      await landed.settle();

      const pending = new NonFiniteGuard(() => undefined);
      pending.watch('loss', nan, 4);
      pending.dropStep(4);
      await pending.settle();

      const earlier = new NonFiniteGuard(() => undefined);
      earlier.watch('gradient norm', nan, 3);
      earlier.watch('loss', nan, 4);
      earlier.dropStep(4);
      await earlier.settle().then(
        () => assert.fail('settle should throw for step 3'),
        (e: NonFiniteError) => assert.deepEqual([e.what, e.step], ['gradient norm', 3]),
      );
    } finally {
      nan.dispose();
    }
  });

  it('without the stop, the same NaN still fails the run at step 8', async () => {
    const error = await runJob(recipe(), { logger: captureLogger() }).then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NonFiniteError, String(error));
    assert.deepEqual([error.what, error.step], ['loss', 8]);
  });
});
