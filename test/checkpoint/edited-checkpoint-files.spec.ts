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

  describe('trainer-state.json', () => {
    const invalid = (problems: string) => (message: string): void => {
      assert.equal(message, `Invalid trainer state '${path.join(step4, 'trainer-state.json')}': ${problems}.`);
    };

    it('refuses an RNG state that is all zeros, or whose spare normal is not a number (they loaded, and gave constant or NaN randomness)', async () => {
      await editJson('trainer-state.json', (json) => {
        json.state.rng.s = [0, 0, 0, 0];
        json.state.rng.spareNormal = 'x';
      });
      await bothRefuse(invalid('state.rng.s is all zeros, a state the generator never reaches (it would give only zeros); state.rng.spareNormal is "x", expected null or a finite number'));
    });

    it('refuses a best metric or a metric value that is not a number', async () => {
      await editJson('trainer-state.json', (json) => {
        json.state.bestMetric = 'low';
        json.metrics.loss = '3.0';
      });
      await bothRefuse(invalid('state.bestMetric is "low", expected a finite number or no field; metrics.loss is "3.0", expected a number (null for a non-finite one)'));
    });

    it('refuses a scheduler position that is not at the saved step, or a wrong lastLr, scheduler or recipeDir', async () => {
      await editJson('trainer-state.json', (json) => {
        json.scheduler.step = 999;
        json.scheduler.lastLr = 'high';
        json.recipeDir = 5;
      });
      await bothRefuse(invalid('scheduler.step is 999, expected state.globalStep (4); scheduler.lastLr is "high", expected a finite number >= 0; recipeDir is 5, expected the recipe\'s folder (a non-empty string) or no field'));
      await editJson('trainer-state.json', (json) => {
        json.scheduler = 'cosine';
        json.recipeDir = '/somewhere';
      });
      await bothRefuse(invalid('scheduler is "cosine", expected { step, lastLr } or no field'));
    });

    it('still loads a state without the optional fields (older checkpoints) and with a null metric (a NaN loss)', async () => {
      await editJson('trainer-state.json', (json) => {
        delete json.scheduler;
        delete json.recipeDir;
        delete json.state.rng.spareNormal;
        json.metrics.loss = null;
      });
      const resumed = await runRecorded(recipe('resumed-optional', 6), { resumeFrom: step4 });
      assert.equal(resumed.result.globalStep, 6);
    });

    it('says where invalid JSON is, as file:line:col', async () => {
      const text = fs.readFileSync(path.join(step4, 'trainer-state.json'), 'utf8');
      await rewrite('trainer-state.json', text.replace('"globalStep": 4,', '"globalStep": 4,,'));
      const line = text.split('\n').findIndex((l) => l.includes('"globalStep"')) + 1;
      await bothRefuse((message) => {
        assert.ok(message.startsWith(`Trainer state '${path.join(step4, 'trainer-state.json')}:${line}:`), message);
        assert.match(message, /' is not valid JSON: .+\. It is written with the checkpoint: this one is damaged or was edited by hand\.$/);
        assert.ok(!/at position/.test(message), message);
      });
    });
  });
});
