import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensorsTensors } from '../../src/checkpoint/formats/read-safetensors-tensors';
import { OptimizerStateError } from '../../src';
import { editCheckpointTensors, replaceTensor } from './fixtures/edit-checkpoint';
import { useCheckpointCopies } from './fixtures/checkpoint-copies';
import { runRecorded } from './fixtures/tiny-gpt-run';

/**
 * The counters a checkpoint saves (the optimizer's own update count, the trainer state's data
 * position and counts) with values no save writes: refused or said, never a silent load.
 */
describe('saved step and position counters', () => {
  const copies = useCheckpointCopies('floe-saved-counters-');
  const stateFile = (): string => path.join(copies.step4, 'trainer-state.json');

  /** Sets the optimizer state's `step` of step 4 to `step`, keeping the save's metadata. */
  const setOptimizerStep = (step: number): Promise<void> =>
    editCheckpointTensors(copies.step4, 'optimizer.safetensors', 4, (tensors) => replaceTensor(tensors, 'step', () => tf.scalar(step, 'int32')));

  describe("the optimizer state's step", () => {
    it('equals state.globalStep in a save without skipped updates', async () => {
      const state = await readSafetensorsTensors(path.join(copies.step4, 'optimizer.safetensors'));
      try {
        assert.deepEqual([...(await (state.get('step') as tf.Tensor).data())], [4]);
      } finally {
        tf.dispose([...state.values()]);
      }
    });

    it('refuses a step above state.globalStep, naming both values and both files (it loaded, biasing Adam as at a later step)', async () => {
      await setOptimizerStep(9);
      const before = tf.memory().numTensors;
      await assert.rejects(copies.resume(6), (error: Error) => {
        assert.ok(error instanceof OptimizerStateError, `${error.name}: ${error.message}`);
        assert.ok(
          error.message.startsWith(
            `Cannot load optimizer state '${path.join(copies.step4, 'optimizer.safetensors')}': its 'step' (optimizer updates made) is 9, but ${stateFile()} is at state.globalStep 4. ` +
              "Every optimizer step adds one to both (none to 'step' when nonFinite: skip skips the update), so a save never has 'step' above state.globalStep; " +
              "loaded, the optimizer would go on as if at update 9 (Adam's bias correction). The checkpoint is damaged or was edited by hand: resume from another checkpoint: the newest before it is ",
          ),
          error.message,
        );
        return true;
      });
      assert.equal(tf.memory().numTensors, before, 'the failed load left tensors behind');
      // An evaluation does not read the optimizer state.
      assert.equal((await copies.evaluate()).step, 4);
    });

    it('resumes a step below state.globalStep (updates skipped under nonFinite: skip), counting on from it', async () => {
      await setOptimizerStep(3);
      const resumed = await copies.resume(6);
      assert.equal(resumed.result.globalStep, 6);
      // Two more updates: the step-6 save counts 5.
      const state = await readSafetensorsTensors(path.join(resumed.result.lastCheckpointPath as string, 'optimizer.safetensors'));
      try {
        assert.deepEqual([...(await (state.get('step') as tf.Tensor).data())], [5]);
      } finally {
        tf.dispose([...state.values()]);
      }
    });
  });

  describe('trainer-state.json position and counts', () => {
    it('refuses negative, fractional or non-number counts, naming each field', async () => {
      await copies.editJson('trainer-state.json', (json) => {
        json.state.epochIndex = -1;
        json.state.batchInEpoch = 2.5;
        json.state.samplesSeen = '16';
        json.state.tokensSeen = null;
      });
      await copies.bothRefuse((message) => {
        assert.equal(
          message,
          `Invalid trainer state '${stateFile()}': state.epochIndex is -1, expected a non-negative integer; state.batchInEpoch is 2.5, expected a non-negative integer; ` +
            'state.samplesSeen is "16", expected a non-negative integer; state.tokensSeen is null, expected a non-negative integer.',
        );
      });
    });

    it('refuses counts beyond exact integers (2^53 and up), which no run reaches', async () => {
      const text = fs.readFileSync(stateFile(), 'utf8');
      await copies.rewrite('trainer-state.json', text.replace(/"tokensSeen": \d+/, '"tokensSeen": 9007199254740993'));
      await copies.bothRefuse((message) => {
        assert.equal(message, `Invalid trainer state '${stateFile()}': state.tokensSeen is 9007199254740992, expected a non-negative integer.`);
      });
    });

    /** Sets `state[field]` of step 4 to `value`, resumes to step 6 and asserts it ends at `endStep` with warning `expected`. */
    async function resumeWarns(field: 'batchInEpoch', value: number, endStep: number, expected: string): Promise<void> {
      await copies.editJson('trainer-state.json', (json) => {
        json.state[field] = value;
      });
      const resumed = await copies.resume(6);
      assert.equal(resumed.result.globalStep, endStep);
      assert.ok(resumed.lines.includes(`warn: ${expected}`), resumed.lines.join('\n'));
    }

    it('says a resume past the recipe\'s epochs has nothing left to train (it ended silently, at the saved step)', async () => {
      // Three finished epochs in four steps and the fourth not begun: a position a save can have
      // (an epochIndex the steps cannot have finished is refused: state-counters.spec.ts).
      await copies.editJson('trainer-state.json', (json) => {
        json.state.epochIndex = 3;
        json.state.batchInEpoch = 0;
      });
      const resumed = await runRecorded({ ...copies.recipe('fewer-epochs', 6), epochs: 3 }, { resumeFrom: copies.step4 });
      assert.equal(resumed.result.globalStep, 4);
      const expected =
        `the checkpoint is at epoch 3 (state.epochIndex in ${stateFile()}, 0-based), but the recipe trains 3 epochs (epochs): ` +
        'nothing is left to train, so the run ends at step 4. Raise epochs to train further.';
      assert.ok(resumed.lines.includes(`warn: ${expected}`), resumed.lines.join('\n'));
    });

    it('says a position past the end of an epoch when no data setting changed (it went on to the next epoch silently)', async () => {
      for (const batchInEpoch of [12, 1e15]) {
        const expected =
          `the checkpoint is at micro-batch ${batchInEpoch} of epoch 0 (state.batchInEpoch in ${stateFile()}), past the end of an epoch of the data (11 micro-batches), ` +
          'though no setting that decides the data order changed. A save never records more than its epoch holds, so the data files changed since or the file was edited: the run goes on with epoch 1.';
        await resumeWarns('batchInEpoch', batchInEpoch, 6, expected);
      }
    });

    it('does not call a position at the end of an epoch past it (an epoch-end save)', async () => {
      await copies.editJson('trainer-state.json', (json) => {
        json.state.batchInEpoch = 11;
      });
      const resumed = await copies.resume(6);
      assert.equal(resumed.result.globalStep, 6);
      // (11 micro-batches in 4 steps of one is not what this run's batching saves: the counter check says so, in a warning of its own.)
      assert.deepEqual(resumed.lines.filter((l) => l.includes('past the end of an epoch')), []);
    });
  });
});
