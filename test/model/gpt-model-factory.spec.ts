import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/errors';
import { LanguageModelTrainer } from '../../src';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';

describe('GptModelFactory', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-gpt-factory-')));
  afterEach(() => cleanup());

  /** The tiny run's recipe (22-token tokenizer) with `model.vocabSize` set, one step, no checkpoint. */
  function recipe(vocabSize: number): Record<string, unknown> {
    const base = tinyGptRecipe(path.join(dir, 'run'));
    return { ...base, trainIters: 1, checkpoint: [], scheduler: { type: 'constant' }, model: { ...(base.model as object), vocabSize } };
  }

  it('refuses a model.vocabSize below the tokenizer\'s ids at model.vocabSize, before any step', async () => {
    const before = tf.memory().numTensors;
    await assert.rejects(runRecorded(recipe(10)), (error: Error) => {
      assert.ok(error instanceof ConfigError, error.message);
      assert.equal(error.issues[0].path, 'model.vocabSize');
      assert.match(error.message, /is 10 but the tokenizer \(hf\) has 22 token ids/);
      return true;
    });
    assert.equal(tf.memory().numTensors, before);
  });

  it('accepts a model.vocabSize above the tokenizer\'s (spare rows)', async () => {
    let vocab = 0;
    const run = await runRecorded(recipe(30), {
      onTrainerReady: async (trainer) => {
        vocab = (trainer as LanguageModelTrainer).gpt.options.vocabSize;
      },
    });
    assert.equal(run.result.globalStep, 1);
    assert.equal(vocab, 30);
  });
});
