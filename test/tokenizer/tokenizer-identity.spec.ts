import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpointModel } from '../../src/checkpoint';
import { CheckpointError } from '../../src/errors';
import { ByteTokenizer, checkTokenizerIdentity, TOKENIZER_IDENTITY_FILE, tokenizerIdentity } from '../../src/tokenizer';
import { runRecorded, tinyGptRecipe, writeTinyTokenizer } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';

/** Swaps the ids of two vocabulary entries of the tiny tokenizer: same size, different mapping. */
function swapTwoIds(file: string): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const vocab = json.model.vocab as Record<string, number>;
  [vocab.h, vocab.e] = [vocab.e, vocab.h];
  fs.writeFileSync(file, JSON.stringify(json));
}

describe('tokenizer identity in checkpoints', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-tok-id-')));
  afterEach(() => cleanup());

  it('names what changed and passes the same tokenizer', () => {
    const byte = new ByteTokenizer();
    const saved = tokenizerIdentity(byte, 'byte');
    checkTokenizerIdentity(saved, byte, { type: 'byte', checkpoint: 'checkpoint c' });
    checkTokenizerIdentity(undefined, byte, { type: 'byte', checkpoint: 'checkpoint c' });
    assert.throws(
      () => checkTokenizerIdentity({ ...saved, vocabSize: 300 }, byte, { type: 'byte', checkpoint: 'checkpoint c' }),
      (e: Error) => e instanceof CheckpointError && /changed since checkpoint c was written \(vocabSize 300 then, 259 now\)/.test(e.message),
    );
    // A damaged file is named as such (with the file given), not reported as a changed tokenizer, nor a TypeError.
    assert.throws(
      () => checkTokenizerIdentity(null, byte, { type: 'byte', checkpoint: 'checkpoint c', file: 'c/tokenizer-identity.json' }),
      (e: Error) => e instanceof CheckpointError && e.message.startsWith("Invalid tokenizer identity 'c/tokenizer-identity.json' of checkpoint c: expected a JSON object, got null. "),
    );
    assert.throws(
      () => checkTokenizerIdentity({ ...saved, padId: -1 }, byte, { type: 'byte', checkpoint: 'checkpoint c' }),
      (e: Error) => e instanceof CheckpointError && e.message.startsWith("Invalid tokenizer identity 'tokenizer-identity.json' of checkpoint c: padId is -1, expected a non-negative integer. "),
    );
  });

  it('refuses to load, resume or fine-tune (model.from) a language model whose hf tokenizer.json changed after training', async () => {
    const run = path.join(dir, 'run');
    const recipe = tinyGptRecipe(run, { trainIters: 2, scheduler: { type: 'constant' }, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] });
    const { result } = await runRecorded(recipe);
    const checkpoint = result.lastCheckpointPath as string;
    assert.ok(fs.existsSync(path.join(checkpoint, TOKENIZER_IDENTITY_FILE)));

    const before = tf.memory().numTensors;
    const loaded = await loadCheckpointModel(checkpoint);
    loaded.dispose();
    // Settings that do not decide ids may change: a chat template, a length limit.
    const tokenizerFile = writeTinyTokenizer(run);
    fs.writeFileSync(path.join(path.dirname(tokenizerFile), 'tokenizer_config.json'), JSON.stringify({ chat_template: '{{ messages }}', model_max_length: 512 }));
    (await loadCheckpointModel(checkpoint)).dispose();

    swapTwoIds(writeTinyTokenizer(run));
    await assert.rejects(loadCheckpointModel(checkpoint), (e: Error) => e instanceof CheckpointError && /tokenizer has changed since checkpoint .*step-000002 was written \(fingerprint/.test(e.message));
    assert.equal(tf.memory().numTensors, before);
    await assert.rejects(
      runRecorded({ ...recipe, trainIters: 4 }, { resumeFrom: checkpoint }),
      (e: Error) => e instanceof CheckpointError && e.message.startsWith(`Checkpoint '${checkpoint}': The tokenizer has changed since the checkpoint was written`),
    );
    const fineTune = { ...recipe, outputDir: path.join(dir, 'tuned'), model: { ...(recipe.model as object), from: checkpoint } };
    await assert.rejects(runRecorded(fineTune), (e: Error) => e instanceof CheckpointError && /tokenizer has changed since model\.from .*step-000002 was written/.test(e.message));
    assert.equal(tf.memory().numTensors, before);
  });
});
