import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readTrainerStateFile } from '../../src/checkpoint';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** Warning lines of a run's log, but the data's (the tiny tokenizer lacks the reverse task's '>'). */
function warnings(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith('warn: ') && !l.startsWith('warn: data ('));
}

describe('resuming with a changed recipe', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-resume-changes-')));
  afterEach(() => cleanup());

  /** A 6-step run of the tiny GPT, checkpointed at steps 3 and 6; returns the step-3 checkpoint. */
  async function checkpointAtStep3(overrides: Record<string, unknown> = {}): Promise<string> {
    await runRecorded(tinyGptRecipe(path.join(dir, 'first'), { trainIters: 6, checkpoint: [{ type: 'floe', saveEveryNSteps: 3 }], ...overrides }));
    return path.join(dir, 'first', 'checkpoints', 'step-000003');
  }

  it('warns once, listing the settings that differ from the checkpoint recipe.yaml as path: old → new', async () => {
    const step3 = await checkpointAtStep3();
    const before = tf.memory().numTensors;
    // The same recipe (its length, logging and checkpoints aside) resumes without a word.
    const same = await runRecorded(tinyGptRecipe(path.join(dir, 'same'), { trainIters: 8, logInterval: 2, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }] }), { resumeFrom: step3 });
    assert.deepEqual(warnings(same.lines), []);
    assert.equal(same.result.globalStep, 8);

    const data = { ...(tinyGptRecipe(dir).data as Record<string, unknown>), sources: [{ type: 'synthetic', task: 'reverse', count: 80, output: 'text', alphabet: 'helowrd' }] };
    const changed = await runRecorded(tinyGptRecipe(path.join(dir, 'changed'), { trainIters: 8, seed: 8, optimizer: { type: 'adamw', lr: 5e-3 }, data }), { resumeFrom: step3 });
    const warned = warnings(changed.lines);
    assert.equal(warned.length, 1, changed.lines.join('\n'));
    const [head, ...rest] = warned[0].split('\n');
    assert.equal(head, `warn: resuming with 3 settings changed from ${path.join(path.relative(process.cwd(), step3), 'recipe.yaml')} (checkpoint's → now):`);
    assert.deepEqual(rest.slice(0, 3), ['  - seed: 7 → 8', '  - data.sources[0].count: 60 → 80', '  - optimizer.lr: 0.003 → 0.005']);
    // The saved position is mid-epoch, and a new seed and data make it point into another order.
    assert.match(rest[3], /the resumed position \(epoch 0, micro-batch 3\) now points into a different order/);
    assert.equal(changed.result.globalStep, 8);
    // Fewer examples than the saved position: the rest of that epoch is empty, and the warning says so.
    const fewer = { ...data, sources: [{ type: 'synthetic', task: 'reverse', count: 10, output: 'text', alphabet: 'helowrd' }] };
    const smaller = await runRecorded(tinyGptRecipe(path.join(dir, 'smaller'), { trainIters: 8, data: fewer }), { resumeFrom: step3 });
    assert.match(warnings(smaller.lines)[0], /the resumed position \(epoch 0, micro-batch 3\) is past the end of an epoch of the data now \(\d micro-batches\), so the run goes on with epoch 1\.$/);
    assert.equal(smaller.result.globalStep, 8);
    assert.equal(tf.memory().numTensors, before, 'runs left tensors behind');
  });

  it('turning model.activationCheckpointing on to resume (it changes memory, not results) is no change to warn about', async () => {
    const step3 = await checkpointAtStep3();
    const model = { ...(tinyGptRecipe(dir).model as Record<string, unknown>), activationCheckpointing: true };
    const resumed = await runRecorded(tinyGptRecipe(path.join(dir, 'checkpointed'), { trainIters: 6, checkpoint: [{ type: 'floe', saveEveryNSteps: 3 }], model }), { resumeFrom: step3 });
    assert.deepEqual(warnings(resumed.lines), []);
    // Bit-identical steps: it ends with the weights of the run it continues.
    const weights = (run: string): Buffer => fs.readFileSync(path.join(dir, run, 'checkpoints', 'step-000006', 'model.safetensors'));
    assert.ok(weights('checkpointed').equals(weights('first')), 'the resumed steps differ');
  });

  it('an optimizer type change names optimizer.safetensors and both optimizers', async () => {
    const step3 = await checkpointAtStep3();
    const run = runRecorded(tinyGptRecipe(path.join(dir, 'sgd'), { optimizer: { type: 'sgd', lr: 0.01 } }), { resumeFrom: step3 });
    await assert.rejects(run, (error: Error) => {
      assert.equal(error.name, 'CheckpointError');
      const file = path.join(step3, 'optimizer.safetensors');
      assert.ok(error.message.startsWith(`Cannot load optimizer state '${file}': the checkpoint was written by optimizer 'adamw' but the recipe asks for 'sgd' (optimizer.type)`), error.message);
      assert.ok(error.message.endsWith(`Resume with optimizer.type: adamw, or start a new run from its weights alone (new optimizer state, step 0) with model.from: ${step3}.`), error.message);
      assert.match(error.message, /Unknown optimizer state key /);
      return true;
    });
  });

  it('a model size change says which model settings differ, besides the shape mismatches', async () => {
    const step3 = await checkpointAtStep3();
    const run = runRecorded(tinyGptRecipe(path.join(dir, 'wider'), { model: { type: 'gpt', layers: 1, heads: 2, dim: 32, maxLength: 16, dropout: 0.1 } }), { resumeFrom: step3 });
    await assert.rejects(run, /model\.safetensors does not match the model: .*has shape .*\. The recipe differs from the checkpoint's: model\.dim is 32 in the recipe but 16 in the checkpoint's recipe\.yaml\. Resume with the checkpoint's settings, or train the new ones as a new run in another folder \(--set outputDir=\.\.\.\)\.$/);
  });

  it('records the batching and length in trainer-state.json; a checkpoint without them still resumes, a malformed one is named', async () => {
    const step3 = await checkpointAtStep3();
    const file = path.join(step3, 'trainer-state.json');
    assert.deepEqual((await readTrainerStateFile(step3)).run, { worldSize: 1, microBatchSize: 4, gradientAccumulationSteps: 1, trainingHorizon: 6 });
    const rewrite = async (run: unknown): Promise<void> => {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(file, JSON.stringify({ ...parsed, run }));
      await writeManifest(step3);
    };
    await rewrite({ worldSize: 0, microBatchSize: 4, gradientAccumulationSteps: 1.5, trainingHorizon: 6 });
    const bad = runRecorded(tinyGptRecipe(path.join(dir, 'bad'), { trainIters: 6 }), { resumeFrom: step3 });
    await assert.rejects(bad, (error: Error) => {
      assert.equal(error.message, `Invalid trainer state '${file}': run.worldSize is 0, expected a positive integer; run.gradientAccumulationSteps is 1.5, expected a positive integer.`);
      return true;
    });
    // Written before the batching was recorded: unknown, so an accumulation change is listed with the other settings.
    await rewrite(undefined);
    const old = await runRecorded(tinyGptRecipe(path.join(dir, 'old'), { trainIters: 6, gradientAccumulationSteps: 2 }), { resumeFrom: step3 });
    assert.deepEqual(
      warnings(old.lines).map((w) => w.split('\n').slice(1)),
      [['  - gradientAccumulationSteps: 1 → 2']],
    );
    assert.equal(old.result.globalStep, 6);
  });

  it('a changed global batch says how the run length and LR schedule change, and the run ends where it says', async () => {
    // Bounded by 2 epochs of 11 micro-batches: 22 steps one micro-batch at a time, 12 with 2 per step.
    const epochsOnly = { epochs: 2, trainIters: undefined, checkpoint: [{ type: 'floe', saveEndOfTraining: false }] };
    await runRecorded(tinyGptRecipe(path.join(dir, 'one'), { ...epochsOnly, exitIteration: 5 }));
    const doubled = await runRecorded(tinyGptRecipe(path.join(dir, 'doubled'), { ...epochsOnly, gradientAccumulationSteps: 2 }), { resumeFrom: path.join(dir, 'one') });
    const [warned] = warnings(doubled.lines);
    assert.match(
      warned,
      /^warn: resuming with another global batch: the global batch \(microBatchSize × gradientAccumulationSteps × ranks\) changes from 4 × 1 × 1 = 4 to 4 × 2 × 1 = 8 examples per optimizer step\. The run's length changes with it: 12 optimizer steps instead of 22 \(its epochs count global batches\), and the LR schedule follows the new length \(lr [\d.e-]+ at step 5, [\d.e-]+ at step 6\)\. The run stops at step 12, before its 2 epochs are done \(at step 14\)\. To keep the global batch of 4, set gradientAccumulationSteps: 1\.$/,
    );
    assert.equal(warnings(doubled.lines).length, 1, 'accumulation is judged through the global batch, not listed again');
    assert.equal(doubled.result.globalStep, 12);

    await runRecorded(tinyGptRecipe(path.join(dir, 'two'), { ...epochsOnly, gradientAccumulationSteps: 2, exitIteration: 3 }));
    const halved = await runRecorded(tinyGptRecipe(path.join(dir, 'halved'), epochsOnly), { resumeFrom: path.join(dir, 'two') });
    assert.match(warnings(halved.lines)[0], /: 22 optimizer steps instead of 12 .* The run's 2 epochs run out at step 19, before the schedule ends\. To keep the global batch of 8, set gradientAccumulationSteps: 2\.$/);
    assert.equal(halved.result.globalStep, 19);
  });

  it('with the length fixed by trainIters, a changed global batch and a longer trainIters do not claim the length follows the batch', async () => {
    await runRecorded(tinyGptRecipe(path.join(dir, 'short'), { trainIters: 4 }));
    const longer = await runRecorded(tinyGptRecipe(path.join(dir, 'longer'), { trainIters: 6, gradientAccumulationSteps: 2 }), { resumeFrom: path.join(dir, 'short') });
    const [warned] = warnings(longer.lines);
    assert.match(warned, /^warn: resuming with another global batch: .* changes from 4 × 1 × 1 = 4 to 4 × 2 × 1 = 8 examples per optimizer step\. To keep the global batch of 4, set gradientAccumulationSteps: 1\.$/);
    assert.equal(longer.result.globalStep, 6);
  });
});
