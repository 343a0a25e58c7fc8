import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, Trainer, TrainerControl } from '../../src';
import { readTrainerStateFile } from '../../src/checkpoint';
import { RecordedRun, fileBytes, runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** Asks for a stop as optimizer step `step` begins: the run stops after that step's first micro-batch. */
class StopsInStep extends Callback {
  constructor(
    trainer: Trainer,
    private readonly step: number,
  ) {
    super(trainer, new CallbackConfig());
  }
  override async onStepBegin(control: TrainerControl): Promise<void> {
    if (this.trainer.globalStep === this.step - 1) control.stop(`stop requested in step ${this.step}`);
  }
}

/** The logged losses of steps `from`..`to`, in order. */
function losses(run: RecordedRun, from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => {
    const loss = run.losses.get(from + i);
    assert.ok(loss !== undefined, `no loss logged at step ${from + i}`);
    return loss;
  });
}

/**
 * The tiny GPT run (dropout on: every micro-batch draws a seed from the trainer's RNG) has 11
 * micro-batches per epoch; 2 per step makes 6 steps an epoch, the 6th a one-micro-batch cycle.
 */
describe('A run stopped mid accumulation cycle, then resumed', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-mid-cycle-')));
  afterEach(async () => cleanup());

  const overrides = { gradientAccumulationSteps: 2, trainIters: 16, checkpoint: [{ type: 'floe', saveEveryNSteps: 100 }] };

  // Step 9: epoch 2's 3rd cycle, micro-batches 5-6 (1-based); step 12: epoch 2's last cycle, micro-batch 11 alone.
  for (const { stopIn, batchInEpoch } of [
    { stopIn: 9, batchInEpoch: 4 },
    { stopIn: 12, batchInEpoch: 10 },
  ]) {
    it(`stopped in step ${stopIn}: saves the position of step ${stopIn - 1}, and the resumed run trains the batches, losses and final weights of an uninterrupted run`, async () => {
      const before = tf.memory().numTensors;
      const full = await runRecorded(tinyGptRecipe(path.join(dir, 'full'), overrides));
      assert.equal(full.result.globalStep, 16);
      const stoppedDir = path.join(dir, 'stopped');
      const stopped = await runRecorded(tinyGptRecipe(stoppedDir, overrides), {
        onTrainerReady: async (trainer) => void trainer.callbackList.callbacks.push(new StopsInStep(trainer, stopIn)),
      });
      assert.equal(stopped.result.status, 'stopped');
      assert.equal(stopped.result.globalStep, stopIn - 1);

      // The end-of-run checkpoint holds the position after step stopIn - 1 exactly, as the uninterrupted run had it then.
      const saved = await readTrainerStateFile(path.join(stoppedDir, 'checkpoints', `step-${String(stopIn - 1).padStart(6, '0')}`));
      assert.deepEqual([saved.state.epochIndex, saved.state.batchInEpoch], [1, batchInEpoch]);
      const reference = await runRecorded(tinyGptRecipe(path.join(dir, 'reference'), { ...overrides, exitIteration: stopIn - 1 }));
      const atStep = await readTrainerStateFile(path.join(dir, 'reference', 'checkpoints', `step-${String(stopIn - 1).padStart(6, '0')}`));
      assert.ok(reference.result.globalStep === stopIn - 1 && atStep.state.samplesSeen > 0);
      assert.deepEqual(saved.state, atStep.state, 'the saved trainer state (position, samples, tokens, RNG) differs from the uninterrupted run at that step');

      const resumed = await runRecorded(tinyGptRecipe(stoppedDir, overrides), { resumeFrom: stoppedDir });
      assert.equal(resumed.result.globalStep, 16);
      assert.equal(tf.memory().numTensors, before, 'runs left tensors behind');
      assert.deepEqual([...losses(stopped, 1, stopIn - 1), ...losses(resumed, stopIn, 16)], losses(full, 1, 16));
      const a = path.join(dir, 'full', 'checkpoints', 'step-000016');
      const b = path.join(stoppedDir, 'checkpoints', 'step-000016');
      assert.ok(fileBytes(a, 'model.safetensors').equals(fileBytes(b, 'model.safetensors')), 'final weights differ');
      assert.ok(fileBytes(a, 'optimizer.safetensors').equals(fileBytes(b, 'optimizer.safetensors')), 'final optimizer state differs');
      assert.deepEqual((await readTrainerStateFile(b)).state, (await readTrainerStateFile(a)).state);
    });
  }
});
