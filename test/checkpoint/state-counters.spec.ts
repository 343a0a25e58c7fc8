import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, CausalTrainer, CheckpointError, Logger, readTrainerStateFile, runJob, TrainerState } from '../../src';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { checkStateCounters, runsBuiltInLoop } from '../../src/checkpoint/state-counters';
import { DEFAULT_CALLBACK_METHODS, installMethodCallbacks } from '../../src/trainer/method-callbacks';
import { tinyRecipe } from '../distributed/dp-recipes';
import { useCheckpointCopies } from './fixtures/checkpoint-copies';
import { runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** The saved state and run shape of every `step-N` checkpoint in `root`, by step. */
async function savedStates(root: string): Promise<Array<{ step: number; state: TrainerState; problems: ReturnType<typeof checkStateCounters> }>> {
  const dirs = fs.readdirSync(root).filter((d) => /^step-\d+$/.test(d)).sort();
  return Promise.all(
    dirs.map(async (d) => {
      const file = await readTrainerStateFile(path.join(root, d));
      return { step: file.state.globalStep, state: file.state, problems: checkStateCounters(file.state, { shape: file.run, builtInLoop: true }) };
    }),
  );
}

function assertNoProblems(saves: Awaited<ReturnType<typeof savedStates>>): void {
  for (const s of saves) assert.deepEqual(s.problems, { errors: [], warnings: [] }, `step ${s.step}: ${JSON.stringify(s.state)}`);
}

const counterWarnings = (lines: string[]): string[] => lines.filter((l) => l.includes('the counters of'));

describe('trainer-state counters checked against each other on resume', () => {
  describe('real saves resume without a word', () => {
    let dir = '';
    let cleanup: () => Promise<void> = async () => undefined;
    const dp = (): string => path.join(dir, 'two-workers');
    before(async () => {
      ({ dir, cleanup } = await makeTempDir('floe-state-counters-'));
      // 41 micro-batches per epoch (the last one of 2 examples), 21 steps per epoch on 2 ranks: rank 1 has no batch in the last cycle.
      const checkpoint = [{ type: 'floe', saveEveryNSteps: 4, saveEveryNEpochs: 1 }];
      await runJob(tinyRecipe(dp(), { epochs: 2, checkpoint, distributed: { backend: 'threads', workers: 2 } }));
    });
    after(() => cleanup());
    const silent = (lines: string[] = []): Logger => new Logger({ sink: (_level, line) => lines.push(line) });
    const everyStep = { checkpoint: [{ type: 'floe', saveEveryNSteps: 1, saveEveryNEpochs: 1 }] };

    it('1 process with gradient accumulation: every save (epoch ends, partial last cycles) passes; resumed and saved again, and resumed again', async () => {
      // 11 micro-batches per epoch in cycles of 3: steps 4 and 8 end epochs 0 and 1 with a cycle of 2.
      const recipe = (name: string, trainIters: number): Record<string, unknown> => tinyGptRecipe(path.join(dir, name), { gradientAccumulationSteps: 3, trainIters, ...everyStep });
      await runRecorded(recipe('accumulated', 10));
      const saves = await savedStates(path.join(dir, 'accumulated', 'checkpoints'));
      assert.deepEqual(
        saves.map((s) => [s.step, s.state.epochIndex, s.state.batchInEpoch]),
        [[1, 0, 3], [2, 0, 6], [3, 0, 9], [4, 0, 11], [5, 1, 3], [6, 1, 6], [7, 1, 9], [8, 1, 11], [9, 2, 3], [10, 2, 6]],
      );
      assertNoProblems(saves);

      // From the epoch-end save, then from a save of that resumed run.
      const again = await runRecorded(recipe('again', 10), { resumeFrom: path.join(dir, 'accumulated', 'checkpoints', 'step-000004') });
      assert.deepEqual(counterWarnings(again.lines), []);
      assertNoProblems(await savedStates(path.join(dir, 'again', 'checkpoints')));
      const third = await runRecorded(recipe('third', 10), { resumeFrom: path.join(dir, 'again', 'checkpoints', 'step-000006') });
      assert.deepEqual(counterWarnings(third.lines), []);
      assert.equal(third.result.globalStep, 10);
    });

    it('2 worker threads: every save passes, and one process resumes one with the same global batch without a word', async () => {
      const saves = await savedStates(path.join(dp(), 'checkpoints'));
      assert.deepEqual(
        saves.map((s) => [s.step, s.state.epochIndex, s.state.batchInEpoch, s.state.samplesSeen]),
        [[4, 0, 8, 32], [8, 0, 16, 64], [12, 0, 24, 96], [16, 0, 32, 128], [20, 0, 40, 160], [21, 0, 41, 162], [24, 1, 6, 186], [28, 1, 14, 218], [32, 1, 22, 250], [36, 1, 30, 282], [40, 1, 38, 314], [42, 1, 41, 324]],
      );
      assertNoProblems(saves);
      const lines: string[] = [];
      const alone = await runJob(tinyRecipe(path.join(dir, 'alone'), { epochs: 2, gradientAccumulationSteps: 2, distributed: 'none' }), { resumeFrom: path.join(dp(), 'checkpoints', 'step-000024'), logger: silent(lines) });
      assert.equal(alone.globalStep, 42);
      assert.deepEqual(counterWarnings(lines), []);
    });

    it('a run whose global batch changed before the save is warned about, not refused, and resumes', async () => {
      // 2 ranks → 1 with the same accumulation: the global batch halves from 8 to 4 at step 8.
      const two = path.join(dp(), 'checkpoints', 'step-000008');
      const halved = path.join(dir, 'halved');
      await runJob(tinyRecipe(halved, { epochs: 2, exitIteration: 10, checkpoint: [{ type: 'floe', saveEveryNSteps: 1 }], distributed: 'none' }), { resumeFrom: two, logger: silent() });
      const step10 = path.join(halved, 'checkpoints', 'step-000010');
      const { state, run } = await readTrainerStateFile(step10);
      assert.deepEqual([state.batchInEpoch, state.samplesSeen, run?.worldSize], [18, 72, 1]);
      const resumed = await runRecorded(tinyRecipe(path.join(dir, 'halved-again'), { epochs: 2, exitIteration: 12, distributed: 'none' }), { resumeFrom: step10 });
      assert.equal(resumed.result.globalStep, 12);
      const file = path.join(step10, 'trainer-state.json');
      assert.deepEqual(counterWarnings(resumed.lines), [
        `warn: the counters of ${file} disagree: ` +
          'state.samplesSeen is 72, more than state.globalStep 10 × its global batch of 4 (microBatchSize × gradientAccumulationSteps × ranks: 4 × 1 × 1) = 40: each optimizer step trains at most one global batch, so state.samplesSeen <= state.globalStep × 4; ' +
          'state.batchInEpoch is 18, more than the 10 optimizer steps state.globalStep 10 leaves for epoch 0 (one per finished epoch before it) × 1 micro-batches each (gradientAccumulationSteps × ranks of the run that saved it: 1 × 1) = 10: ' +
          "so state.batchInEpoch <= (state.globalStep - state.epochIndex) × 1; resumed there, the run skips the epoch's micro-batches in between. " +
          'A save keeps these while the run\'s batching stays the same; a resume with another global batch or rank count before this save explains them, else the file was edited. The run resumes from the saved values.',
      ]);
    });
  });

  describe('edited counters', () => {
    // A tiny GPT run, one micro-batch of 4 per step: step 4 is at epoch 0, micro-batch 4, 16 examples.
    const copies = useCheckpointCopies('floe-edited-counters-');
    const stateFile = (): string => path.join(copies.step4, 'trainer-state.json');
    const older = (): string => path.join(path.dirname(copies.step4), 'step-000002');

    async function resumeRefused(expected: string): Promise<void> {
      const before = tf.memory().numTensors;
      await assert.rejects(copies.resume(6), (error: Error) => {
        assert.ok(error instanceof CheckpointError, `${error.name}: ${error.message}`);
        assert.equal(error.message, `Invalid trainer state '${stateFile()}': ${expected}. No save writes this: the file was edited or is damaged; resume from another checkpoint (the newest before it is ${older()}).`);
        return true;
      });
      assert.equal(tf.memory().numTensors, before, 'the refused resume left tensors behind');
    }

    it('refuses an epochIndex more than the optimizer steps could have finished, naming the file, both fields and the relation', async () => {
      for (const epochIndex of [4, 1e15]) {
        await copies.editJson('trainer-state.json', (json) => {
          json.state.epochIndex = epochIndex;
        });
        await resumeRefused(
          `state.epochIndex is ${epochIndex} but state.globalStep is 4: every epoch the training loop finishes takes at least one optimizer step, ` +
            'and so has the epoch a save is in once it has begun (state.batchInEpoch 4 > 0), so a save has state.globalStep >= state.epochIndex + 1',
        );
      }
      // 3 finished epochs of one step each and a begun fourth one: possible.
      await copies.editJson('trainer-state.json', (json) => {
        json.state.epochIndex = 3;
        json.state.batchInEpoch = 1;
      });
      assert.equal((await copies.resume(6)).result.globalStep, 6);
      // An evaluation reads no counter.
      await copies.editJson('trainer-state.json', (json) => {
        json.state.epochIndex = 9;
      });
      assert.equal((await copies.evaluate()).step, 4);
    });

    it('warns about samplesSeen above globalStep × the global batch, and resumes counting from it', async () => {
      await copies.editJson('trainer-state.json', (json) => {
        json.state.samplesSeen = 17;
      });
      const resumed = await copies.resume(6);
      assert.equal(resumed.result.globalStep, 6);
      const [warning] = counterWarnings(resumed.lines);
      assert.ok(
        warning?.startsWith(
          `warn: the counters of ${stateFile()} disagree: state.samplesSeen is 17, more than state.globalStep 4 × its global batch of 4 (microBatchSize × gradientAccumulationSteps × ranks: 4 × 1 × 1) = 16: ` +
            'each optimizer step trains at most one global batch, so state.samplesSeen <= state.globalStep × 4. ',
        ),
        resumed.lines.join('\n'),
      );
    });

    it('warns about a batchInEpoch beyond the micro-batches the steps took, and below what the first epoch\'s steps took', async () => {
      const expected: Record<number, string> = {
        5:
          'state.batchInEpoch is 5, more than the 4 optimizer steps state.globalStep 4 leaves for epoch 0 (one per finished epoch before it) × 1 micro-batches each (gradientAccumulationSteps × ranks of the run that saved it: 1 × 1) = 4: ' +
          "so state.batchInEpoch <= (state.globalStep - state.epochIndex) × 1; resumed there, the run skips the epoch's micro-batches in between",
        3:
          'state.batchInEpoch is 3, but the 4 optimizer steps of the first epoch (state.globalStep 4, state.epochIndex 0) took at least 4 micro-batches ((state.globalStep - 1) × 1 + 1; gradientAccumulationSteps × ranks of the run that saved it: 1 × 1): ' +
          'so state.batchInEpoch > (state.globalStep - 1) × 1; resumed there, the run trains micro-batches of the epoch again',
      };
      for (const [batchInEpoch, text] of Object.entries(expected)) {
        await copies.editJson('trainer-state.json', (json) => {
          json.state.batchInEpoch = Number(batchInEpoch);
        });
        const resumed = await copies.resume(6);
        assert.equal(resumed.result.globalStep, 6);
        assert.ok(counterWarnings(resumed.lines)[0]?.startsWith(`warn: the counters of ${stateFile()} disagree: ${text}. `), resumed.lines.join('\n'));
      }
    });
  });

  describe('a save before the first optimizer step', () => {
    let dir = '';
    let cleanup: () => Promise<void> = async () => undefined;
    before(async () => {
      ({ dir, cleanup } = await makeTempDir('floe-step-zero-'));
    });
    after(() => cleanup());

    /** Stops the run as training begins: it saves at step 0. */
    class StopAtStart extends Callback {
      override async onTrainBegin(): Promise<void> {
        this.trainer.control.shouldStop = true;
      }
    }

    it('resumes with its zero counters, and refuses examples or tokens counted in it', async () => {
      const recipe = (name: string): Record<string, unknown> => tinyGptRecipe(path.join(dir, name), { trainIters: 2 });
      await runRecorded(recipe('stopped'), { onTrainerReady: (t) => void t.callbackList.callbacks.push(new StopAtStart(t, new CallbackConfig())) });
      const step0 = path.join(dir, 'stopped', 'checkpoints', 'step-000000');
      const saved = await readTrainerStateFile(step0);
      assert.deepEqual([saved.state.globalStep, saved.state.samplesSeen, saved.state.tokensSeen], [0, 0, 0]);
      const resumed = await runRecorded(recipe('resumed'), { resumeFrom: step0 });
      assert.equal(resumed.result.globalStep, 2);
      assert.deepEqual(counterWarnings(resumed.lines), []);

      const file = path.join(step0, 'trainer-state.json');
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      json.state.samplesSeen = 16;
      json.state.tokensSeen = 200;
      fs.writeFileSync(file, JSON.stringify(json, null, 2));
      await writeManifest(step0);
      await assert.rejects(runRecorded(recipe('refused'), { resumeFrom: step0 }), (error: Error) => {
        assert.ok(error instanceof CheckpointError, `${error.name}: ${error.message}`);
        assert.equal(
          error.message,
          `Invalid trainer state '${file}': state.samplesSeen is 16 and state.tokensSeen is 200 but state.globalStep is 0: examples and tokens count as their micro-batches train, ` +
            'and a stop before the optimizer step takes them back, so a save before the first step has state.samplesSeen 0 and state.tokensSeen 0. ' +
            'No save writes this: the file was edited or is damaged; resume from another checkpoint.',
        );
        return true;
      });
    });
  });

  describe('a trainer with a loop of its own', () => {
    const state: TrainerState = { globalStep: 2, epochIndex: 5, batchInEpoch: 0, samplesSeen: 8, tokensSeen: 80, rng: { s: [1, 2, 3, 4] } as TrainerState['rng'] };

    it('gets warnings where the built-in loop gets errors', () => {
      const builtIn = checkStateCounters(state, { builtInLoop: true });
      assert.equal(builtIn.errors.length, 1);
      assert.deepEqual(checkStateCounters(state, { builtInLoop: false }), { errors: [], warnings: builtIn.errors });
    });

    it('is one that overrides epoch(), step() or optimizerStep(), in a subclass or on the instance', () => {
      class OwnStep extends CausalTrainer {
        override step(batch: Parameters<CausalTrainer['step']>[0]): Promise<void> {
          return super.step(batch);
        }
      }
      assert.equal(runsBuiltInLoop(Object.create(CausalTrainer.prototype)), true);
      assert.equal(runsBuiltInLoop(Object.create(OwnStep.prototype)), false);
      const wrapped = Object.create(CausalTrainer.prototype);
      wrapped.epoch = async (): Promise<void> => undefined;
      assert.equal(runsBuiltInLoop(wrapped), false);
    });

    it("a trainer's pre/post method callbacks on step and epoch leave it running the built-in loop (contradictions stay errors)", () => {
      const trainer = Object.create(CausalTrainer.prototype);
      installMethodCallbacks(trainer, DEFAULT_CALLBACK_METHODS, [
        ['post-step', () => undefined],
        ['pre-epoch', () => undefined],
      ]);
      assert.ok(Object.prototype.hasOwnProperty.call(trainer, 'step'), 'the callbacks wrap the instance');
      assert.equal(runsBuiltInLoop(trainer), true);
      const state: TrainerState = { globalStep: 0, epochIndex: 0, batchInEpoch: 0, rng: { s: [1, 2, 3, 4] } as TrainerState['rng'], samplesSeen: 4, tokensSeen: 0 };
      assert.equal(checkStateCounters(state, { builtInLoop: runsBuiltInLoop(trainer) }).errors.length, 1);
    });
  });
});
