import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as gptParams from '../../src/model/gpt-params';
import { RecordedRun, fileBytes, runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

type CreateGptParams = typeof gptParams.createGptParams;

/** Counts the GPT random inits (createGptParams: every base weight drawn from the seed) while `run` goes. */
async function countingInits<T>(run: () => Promise<T>): Promise<{ value: T; inits: number }> {
  const mod = gptParams as { createGptParams: CreateGptParams };
  const original = mod.createGptParams;
  let inits = 0;
  mod.createGptParams = (...args: Parameters<CreateGptParams>) => {
    inits++;
    return original(...args);
  };
  try {
    return { value: await run(), inits };
  } finally {
    mod.createGptParams = original;
  }
}

function losses(run: RecordedRun, from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => run.losses.get(from + i) as number);
}

describe('resuming a GPT run', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-resume-weights-')));
  afterEach(() => cleanup());

  // Dropout on the model and the adapters: the resumed run must draw every mask a whole run draws.
  const overrides = {
    trainIters: 12,
    checkpoint: [{ type: 'floe', saveEveryNSteps: 6 }],
    model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16, dropout: 0.1, lora: { rank: 2, alpha: 4, targets: ['*.attn.*', '*.mlp.up'], dropout: 0.1 } },
  };

  it('builds the model from the checkpoint weights (no random init drawn) and ends bit-identical to an uninterrupted run, LoRA and dropout on', async () => {
    const before = tf.memory().numTensors;
    const full = await countingInits(() => runRecorded(tinyGptRecipe(path.join(dir, 'full'), overrides)));
    // A fresh run draws its init once: the counter sees the real init path.
    assert.equal(full.inits, 1);
    const first = await runRecorded(tinyGptRecipe(path.join(dir, 'resumed'), { ...overrides, exitIteration: 6 }));
    assert.equal(first.result.globalStep, 6);
    const step6 = path.join(dir, 'resumed', 'checkpoints', 'step-000006');

    const second = await countingInits(() => runRecorded(tinyGptRecipe(path.join(dir, 'resumed'), overrides), { resumeFrom: step6 }));
    assert.equal(second.inits, 0, 'a resume draws no random init to overwrite');
    assert.equal(second.value.result.globalStep, 12);
    assert.ok(second.value.lines.some((l) => l.includes('resumed from') && l.includes('at step 6')), second.value.lines.join('\n'));
    assert.equal(tf.memory().numTensors, before, 'runs left tensors behind');

    assert.deepEqual([...losses(first, 1, 6), ...losses(second.value, 7, 12)], losses(full.value, 1, 12));
    const a = path.join(dir, 'full', 'checkpoints', 'step-000012');
    const b = path.join(dir, 'resumed', 'checkpoints', 'step-000012');
    assert.ok(fileBytes(a, 'model.safetensors').equals(fileBytes(b, 'model.safetensors')), 'final weights (LoRA factors included) differ');
    assert.ok(fileBytes(a, 'optimizer.safetensors').equals(fileBytes(b, 'optimizer.safetensors')), 'final optimizer state differs');
    assert.ok(!fileBytes(step6, 'model.safetensors').equals(fileBytes(a, 'model.safetensors')), 'the adapters trained after the resume');
  });

  it('autoResume builds from the newest checkpoint too; a checkpoint of another shape fails as before, naming the file and the changed setting', async () => {
    const run = path.join(dir, 'run');
    const auto = { ...overrides, checkpoint: [{ type: 'floe', saveEveryNSteps: 6, autoResume: true }] };
    await runRecorded(tinyGptRecipe(run, { ...auto, exitIteration: 6 }));
    const resumed = await countingInits(() => runRecorded(tinyGptRecipe(run, auto)));
    assert.equal(resumed.inits, 0);
    assert.equal(resumed.value.result.globalStep, 12);

    const before = tf.memory().numTensors;
    const wider = { ...overrides, model: { ...overrides.model, dim: 32 } };
    const step12 = path.join(run, 'checkpoints', 'step-000012');
    await assert.rejects(
      runRecorded(tinyGptRecipe(run, { ...wider, trainIters: 14 }), { resumeFrom: step12 }),
      (error: Error) => {
        assert.equal(error.name, 'CheckpointError');
        assert.match(error.message, /model\.safetensors does not match the model: 'embed\.tokens\.weight' has shape \[22,16\] but the model expects \[22,32\]/);
        assert.match(error.message, /The recipe differs from the checkpoint's: model\.dim is 32 in the recipe but 16 in the checkpoint's recipe\.yaml/);
        return true;
      },
    );
    assert.equal(tf.memory().numTensors, before, 'a refused resume leaves no tensors behind');
  });
});
