import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { CheckpointError, evaluateJob, Logger, OptimizerStateError } from '../../src';
import { editCheckpointTensors, replaceTensor } from './fixtures/edit-checkpoint';
import { useCheckpointCopies } from './fixtures/checkpoint-copies';
import { runRecorded } from './fixtures/tiny-gpt-run';

/**
 * A checkpoint whose files were edited by hand and its manifest rebuilt after (so the checksums
 * pass and only the content is wrong): resuming and evaluating it must fail with an error naming
 * the file, the field and what is allowed, never a TypeError or a silent wrong load.
 */
describe('loading hand-edited checkpoint files', () => {
  const copies = useCheckpointCopies('floe-edited-files-');
  const { recipe, rewrite, editJson, bothRefuse } = copies;
  /** The run's checkpoints (step 2 and step 4), copied fresh for each test. */
  let pristine: string;
  let step4: string;
  beforeEach(() => {
    ({ pristine, step4 } = copies);
  });

  /** Edits safetensors file `name` of step 4 (keeping its step metadata) and rebuilds the manifest. */
  const editTensors = (name: string, edit: (tensors: Map<string, tf.Tensor>) => void): Promise<void> => editCheckpointTensors(step4, name, 4, edit);
  const replace = replaceTensor;

  /** Copies file `name` of the step-2 checkpoint over step 4's and rebuilds the manifest. */
  async function copyFromStep2(name: string): Promise<void> {
    fs.copyFileSync(path.join(path.dirname(step4), 'step-000002', name), path.join(step4, name));
    await writeManifest(step4);
  }

  describe('tokenizer-identity.json', () => {
    const invalid = (problem: string) => (message: string): void => {
      assert.ok(message.startsWith(`Checkpoint '${step4}': Invalid tokenizer identity 'tokenizer-identity.json' of the checkpoint: ${problem}. `), message);
      assert.ok(message.includes('{ type, fingerprint: strings; vocabSize, bosId, eosId, padId: non-negative integers }'), message);
    };

    it('says where invalid JSON is, as file:line:col', async () => {
      await rewrite('tokenizer-identity.json', '{\n  "type": "hf",\n  "vocabSize": 22,,\n}');
      await bothRefuse((message) => {
        assert.ok(message.startsWith(`${path.join(step4, 'tokenizer-identity.json')}:3:19: not valid JSON: `), message);
        assert.ok(message.endsWith('The checkpoint wrote it as JSON, so it is damaged or was edited by hand: use another checkpoint, or an intact copy of this one.'), message);
      });
    });

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

    it('shows a number JSON reads as infinite as such (it said null), and checks the scheduler only against a valid step', async () => {
      const text = fs.readFileSync(path.join(step4, 'trainer-state.json'), 'utf8');
      await rewrite('trainer-state.json', text.replace('"globalStep": 4,', '"globalStep": 1e400,').replace('"spareNormal": null', '"spareNormal": -1e999'));
      await bothRefuse(invalid('state.globalStep is Infinity, expected a non-negative integer; state.rng.spareNormal is -Infinity, expected null or a finite number'));
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

  describe('files of different saves', () => {
    const mixed = (file: string, fileStep: number, stateStep: number) => (message: string): void => {
      assert.equal(
        message,
        `Checkpoint '${step4}' mixes files of different saves: ${file} was saved at step ${fileStep} (its metadata 'step'), but trainer-state.json at state.globalStep ${stateStep}. ` +
          'Every file of a checkpoint comes from one save (was one copied in from another checkpoint folder?): use an intact checkpoint folder.',
      );
    };

    it("refuses another save's weights or trainer state (they loaded, pairing one step's weights with another's data position)", async () => {
      await copyFromStep2('model.safetensors');
      await bothRefuse(mixed('model.safetensors', 2, 4));
      fs.copyFileSync(path.join(pristine, 'step-000004', 'model.safetensors'), path.join(step4, 'model.safetensors'));
      await copyFromStep2('trainer-state.json');
      await bothRefuse(mixed('model.safetensors', 4, 2));
    });

    it("refuses another save's optimizer state on resume; evaluating, which does not read it, still works", async () => {
      await copyFromStep2('optimizer.safetensors');
      await assert.rejects(runRecorded(recipe('resumed-mixed-optimizer', 6), { resumeFrom: step4 }), (error: Error) => {
        assert.ok(error instanceof CheckpointError, error.message);
        mixed('optimizer.safetensors', 2, 4)(error.message);
        return true;
      });
      const evaluated = await evaluateJob(recipe('evaluated-mixed-optimizer', 6), { checkpoint: step4, logger: new Logger({ sink: () => undefined }) });
      assert.equal(evaluated.step, 4);
    });
  });

  describe('tensor values', () => {
    it('refuses NaN or infinite weights, naming the file, the weights and the checkpoint before (evaluating gave NaN metrics)', async () => {
      let names: string[] = [];
      await editTensors('model.safetensors', (tensors) => {
        names = [...tensors.keys()].filter((k) => tensors.get(k)?.rank === 2).slice(0, 2);
        replace(tensors, names[0], (old) => tf.fill(old.shape, NaN));
        replace(tensors, names[1], (old) => tf.tidy(() => old.add(tf.scalar(Infinity))));
      });
      await bothRefuse((message) => {
        assert.equal(
          message,
          `${path.join(step4, 'model.safetensors')} holds NaN or infinite values, in '${names[0]}', '${names[1]}'. A run never saves them (nonFinite: stop ends it first, skip keeps the last finite weights), ` +
            `so the file is damaged or was edited by hand: use another checkpoint (the newest before it is ${path.join(path.dirname(step4), 'step-000002')}).`,
        );
      });
    });

    it('refuses integer weights for float ones (they were cast silently)', async () => {
      let name = '';
      await editTensors('model.safetensors', (tensors) => {
        name = [...tensors.keys()].find((k) => tensors.get(k)?.rank === 2) ?? '';
        replace(tensors, name, (old) => old.toInt());
      });
      await bothRefuse((message) => {
        assert.ok(message.includes(`model.safetensors does not match the model: '${name}' holds int32 values but the model's weight is float32 (a float dtype: F32, F16, BF16 or F64)`), message);
      });
    });

    it('refuses NaN or infinite optimizer state as damaged, with the ways out', async () => {
      let key = '';
      await editTensors('optimizer.safetensors', (tensors) => {
        key = [...tensors.keys()].find((k) => k.endsWith('/v')) ?? '';
        replace(tensors, key, (old) => tf.fill(old.shape, Infinity));
      });
      await assert.rejects(runRecorded(recipe('resumed-infinite-v', 6), { resumeFrom: step4 }), (error: Error) => {
        assert.ok(error instanceof OptimizerStateError, error.message);
        assert.ok(
          error.message.startsWith(`Cannot load optimizer state '${path.join(step4, 'optimizer.safetensors')}': Optimizer state holds NaN or infinite values, in '${key}'; a run never saves them. The checkpoint is damaged`),
          error.message,
        );
        return true;
      });
    });
  });

  describe('manifest.json', () => {
    /** Rewrites step 4's manifest with only the entries `keep` passes. */
    function keepEntries(keep: (entry: { path: string }) => boolean): void {
      const file = path.join(step4, 'manifest.json');
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { files: Array<{ path: string }> };
      manifest.files = manifest.files.filter(keep);
      fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
    }
    const unlisted = (what: string, verb: string, pronoun: string) => (message: string): void => {
      assert.equal(
        message,
        `Checkpoint manifest '${path.join(step4, 'manifest.json')}' does not list ${what}, which ${verb} in the folder, so ${pronoun} cannot be verified. ` +
          'A save lists every file it writes: the manifest was edited by hand or belongs to another folder.\n' +
          `The newest checkpoint before it is ${path.join(path.dirname(step4), 'step-000002')}: pass that folder to use it instead, or move the damaged one out of the folder.`,
      );
    };

    it('refuses a manifest that leaves out a file the load reads (it loaded that file unverified)', async () => {
      keepEntries((e) => e.path !== 'model.safetensors');
      await bothRefuse(unlisted('model.safetensors', 'is', 'it'));
    });

    it('refuses an empty file list (it verified nothing)', async () => {
      keepEntries(() => false);
      await bothRefuse(unlisted('model.safetensors, optimizer.safetensors, trainer-state.json, model-config.json, recipe.yaml', 'are', 'they'));
    });

    it('still loads when a file it leaves out is not in the folder either, nor with files the load does not read', async () => {
      fs.rmSync(path.join(step4, 'model-config.json'));
      fs.writeFileSync(path.join(step4, 'notes.txt'), 'kept by hand');
      keepEntries((e) => e.path !== 'model-config.json');
      const evaluated = await evaluateJob(recipe('evaluated-partial-manifest', 6), { checkpoint: step4, logger: new Logger({ sink: () => undefined }) });
      assert.equal(evaluated.step, 4);
    });
  });

  describe('missing files', () => {
    it('names a file the load reads that is gone with its manifest entry (it was an ENOENT from the reader)', async () => {
      const step2 = path.join(path.dirname(step4), 'step-000002');
      const holds = 'A floe checkpoint holds trainer-state.json (step, data position, RNG), model.safetensors (weights), optimizer.safetensors (optimizer state, read to resume): ';
      fs.rmSync(path.join(step4, 'model.safetensors'));
      fs.rmSync(path.join(step4, 'trainer-state.json'));
      await writeManifest(step4);
      await bothRefuse((message) => {
        assert.equal(message, `Checkpoint '${step4}' has no trainer-state.json, model.safetensors, and its manifest does not list them either. ${holds}use another checkpoint (the newest before it is ${step2}).`);
      });
    });

    it('needs the optimizer state to resume only', async () => {
      fs.rmSync(path.join(step4, 'optimizer.safetensors'));
      await writeManifest(step4);
      await assert.rejects(runRecorded(recipe('resumed-no-optimizer', 6), { resumeFrom: step4 }), (error: Error) => {
        assert.ok(error instanceof CheckpointError && error.message.startsWith(`Checkpoint '${step4}' has no optimizer.safetensors, and its manifest does not list it either. `), error.message);
        return true;
      });
      const evaluated = await evaluateJob(recipe('evaluated-no-optimizer', 6), { checkpoint: step4, logger: new Logger({ sink: () => undefined }) });
      assert.equal(evaluated.step, 4);
    });
  });
});
