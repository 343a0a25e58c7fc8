import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Callback, CallbackConfig, Logger, runJob, Trainer, TrainerControl, TrainingResult } from '../../src';
import { readTrainerStateFile } from '../../src/checkpoint';
import { fakeGroup } from '../distributed/fixtures/fake-group';
import { tempDir, tinyRecipe } from '../callbacks/fixtures/tiny-run';

/** Asks rank 0 (alone) for a stop as optimizer step 2 begins: the epoch's last cycle, one micro-batch per rank. */
class Rank0StopsInStep2 extends Callback {
  constructor(trainer: Trainer) {
    super(trainer, new CallbackConfig());
  }
  override async onStepBegin(control: TrainerControl): Promise<void> {
    if (this.trainer.dp.rank === 0 && this.trainer.globalStep === 1) control.stop('stop requested in step 2');
  }
}

/** Runs `recipe` as 2 ranks of one in-process group; `stop` adds {@link Rank0StopsInStep2}. */
async function twoRanks(recipe: Record<string, unknown>, options: { stop?: boolean; resumeFrom?: string } = {}): Promise<TrainingResult[]> {
  return Promise.all(
    fakeGroup(2).map((communicator) =>
      runJob(recipe, {
        communicator,
        resumeFrom: options.resumeFrom,
        logger: new Logger({ sink: () => undefined }),
        onTrainerReady: (t) => void (options.stop === true && t.callbackList.callbacks.push(new Rank0StopsInStep2(t))),
      }),
    ),
  );
}

const checkpointOf = (dir: string, step: number): string => path.join(dir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);

describe('Data parallel: a stop requested on one rank mid accumulation cycle', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('dp-mid-cycle');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // 8 micro-batches per epoch over 2 ranks, 3 per rank and step: step 1 takes batches 1-6, step 2 (the epoch's last) 7-8.
  const recipe = (outputDir: string): Record<string, unknown> =>
    tinyRecipe(outputDir, { epochs: 3, gradientAccumulationSteps: 3, checkpoint: [{ type: 'floe', saveEveryNSteps: 100 }] });

  it("in an epoch's last cycle: every rank finishes that step and stops there; the resumed run ends with an uninterrupted run's weights", async () => {
    const full = await twoRanks(recipe(path.join(dir, 'full')));
    assert.deepEqual(full.map((r) => r.globalStep), [6, 6]);
    const stoppedDir = path.join(dir, 'stopped');
    const stopped = await twoRanks(recipe(stoppedDir), { stop: true });
    // Rank 1 asked for nothing: its result still reports the job's outcome and rank 0's reason.
    assert.deepEqual(stopped.map((r) => [r.status, r.stopReason]), [['stopped', 'stop requested in step 2'], ['stopped', 'stop requested in step 2']]);
    assert.deepEqual(stopped.map((r) => r.globalStep), [2, 2]);
    const saved = await readTrainerStateFile(checkpointOf(stoppedDir, 2));
    assert.deepEqual([saved.state.epochIndex, saved.state.batchInEpoch, saved.state.samplesSeen], [0, 8, 64]);

    const resumed = await twoRanks(recipe(stoppedDir), { resumeFrom: stoppedDir });
    assert.deepEqual(resumed.map((r) => r.globalStep), [6, 6]);
    const weights = (d: string): Buffer => fs.readFileSync(path.join(checkpointOf(d, 6), 'model.safetensors'));
    assert.ok(weights(stoppedDir).equals(weights(path.join(dir, 'full'))), 'final weights differ from the uninterrupted run');
    assert.deepEqual((await readTrainerStateFile(checkpointOf(stoppedDir, 6))).state, (await readTrainerStateFile(checkpointOf(path.join(dir, 'full'), 6))).state);
  });
});
