import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { CheckpointError, evaluateJob, Logger } from '../../src';
import { runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/**
 * A checkpoint whose files were edited by hand and its manifest rebuilt after (so the checksums
 * pass and only the content is wrong): resuming and evaluating it must fail with an error naming
 * the file, the field and what is allowed, never a TypeError or a silent wrong load.
 */
describe('loading hand-edited checkpoint files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  /** The run's checkpoints (step 2 and step 4), copied fresh for each test. */
  let pristine: string;
  let step4: string;
  let copies = 0;

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-edited-files-'));
    await runRecorded(recipe('first', 4));
    pristine = path.join(dir, 'first', 'checkpoints');
  });
  after(() => cleanup());

  beforeEach(() => {
    copies += 1;
    const root = path.join(dir, `copy-${copies}`, 'checkpoints');
    fs.cpSync(pristine, root, { recursive: true });
    step4 = path.join(root, 'step-000004');
  });

  function recipe(name: string, trainIters: number): Record<string, unknown> {
    return tinyGptRecipe(path.join(dir, name), { trainIters, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] });
  }

  /** Writes `text` as checkpoint file `name` of step 4 and rebuilds its manifest. */
  async function rewrite(name: string, text: string): Promise<void> {
    fs.writeFileSync(path.join(step4, name), text);
    await writeManifest(step4);
  }

  /** Edits JSON file `name` of step 4 in place and rebuilds its manifest. */
  async function editJson(name: string, edit: (json: Record<string, any>) => void): Promise<void> {
    const json = JSON.parse(fs.readFileSync(path.join(step4, name), 'utf8')) as Record<string, any>;
    edit(json);
    await rewrite(name, JSON.stringify(json, null, 2));
  }

  /** Asserts that resuming from step 4 and evaluating it both fail with a CheckpointError whose message passes `check`. */
  async function bothRefuse(check: (message: string) => void): Promise<void> {
    const before = tf.memory().numTensors;
    copies += 1;
    const attempts = [
      () => runRecorded(recipe(`resumed-${copies}`, 6), { resumeFrom: step4 }),
      () => evaluateJob(recipe(`evaluated-${copies}`, 6), { checkpoint: step4, logger: new Logger({ sink: () => undefined }) }),
    ];
    for (const [i, attempt] of attempts.entries()) {
      await assert.rejects(attempt(), (error: Error) => {
        assert.ok(error instanceof CheckpointError, `${i === 0 ? 'resume' : 'evaluate'}: expected a CheckpointError, got ${error.name}: ${error.message}`);
        check(error.message);
        return true;
      });
    }
    assert.equal(tf.memory().numTensors, before, 'the failed loads left tensors behind');
  }

  describe('tokenizer-identity.json', () => {
    const invalid = (problem: string) => (message: string): void => {
      assert.ok(message.startsWith(`Checkpoint '${step4}': Invalid tokenizer identity 'tokenizer-identity.json' of the checkpoint: ${problem}. `), message);
      assert.ok(message.includes('{ type, fingerprint: strings; vocabSize, bosId, eosId, padId: non-negative integers }'), message);
    };

    it('refuses null (it was a TypeError), naming the checkpoint and the file', async () => {
      await rewrite('tokenizer-identity.json', 'null');
      await bothRefuse(invalid('expected a JSON object, got null'));
    });

    it('refuses an array or a field of the wrong type as invalid, not as a changed tokenizer', async () => {
      await rewrite('tokenizer-identity.json', '[]');
      await bothRefuse(invalid('expected a JSON object, got an array'));
      fs.copyFileSync(path.join(pristine, 'step-000004', 'tokenizer-identity.json'), path.join(step4, 'tokenizer-identity.json'));
      await editJson('tokenizer-identity.json', (json) => {
        json.vocabSize = '22';
        delete json.type;
      });
      await bothRefuse(invalid('type is undefined, expected a non-empty string; vocabSize is "22", expected a non-negative integer'));
    });

    it('shows a changed fingerprint whole when its shortened form looks unchanged', async () => {
      let saved = '';
      await editJson('tokenizer-identity.json', (json) => {
        saved = `${(json.fingerprint as string).slice(0, -4)}0000`;
        json.fingerprint = saved;
      });
      await bothRefuse((message) => {
        assert.ok(message.startsWith(`Checkpoint '${step4}': The tokenizer has changed since the checkpoint was written (fingerprint '${saved}' then, '`), message);
      });
    });
  });
});
