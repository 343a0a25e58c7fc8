import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { runCli } from '../../src/cli/main';
import { CheckpointError, loadSupervisedPredictor } from '../../src';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { editCheckpointTensors, replaceTensor } from './fixtures/edit-checkpoint';
import { makeTempDir } from './temp-dir';

describe('floe predict and damaged checkpoints', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-predict-ck-')));
  afterEach(() => cleanup());

  /** A spirals classifier (features x, y, standardized) with checkpoints at steps 2 and 4. */
  async function trainSpirals(run: string): Promise<void> {
    await runRecorded({
      type: 'supervised',
      backend: 'cpu',
      ...QUIET_RUN,
      epochs: 1,
      microBatchSize: 16,
      outputDir: run,
      data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'spirals', count: 64, classes: 2 }], trainEvalSplit: [1, 0] },
      model: { type: 'mlp', hidden: [4] },
      loss: { type: 'cross-entropy' },
      checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }],
      callbacks: [],
    });
  }

  /** floe predict of `checkpoint` on two rows: its exit code, stdout and stderr. */
  async function predict(checkpoint: string): Promise<{ code: number; out: string[]; err: string }> {
    const input = path.join(dir, 'rows.jsonl');
    fs.writeFileSync(input, '{"x": 0.5, "y": -0.25}\n[1, 2]\n');
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['predict', '--checkpoint', checkpoint, '--input', input, '--backend', 'cpu'], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err: err.join('\n') };
  }

  describe('a checkpoint edited by hand, its manifest rebuilt (checksums pass)', () => {
    let step4: string;
    beforeEach(async () => {
      await trainSpirals(path.join(dir, 'run'));
      step4 = path.join(dir, 'run', 'checkpoints', 'step-000004');
    });

    async function refused(fragment: string): Promise<void> {
      const before = tf.memory().numTensors;
      const { code, out, err } = await predict(step4);
      assert.equal(code, 1, err);
      assert.deepEqual(out, []);
      assert.ok(err.includes(fragment), err);
      assert.equal(tf.memory().numTensors, before, 'the failed load left tensors behind');
    }

    it('an intact one predicts both rows', async () => {
      const { code, out, err } = await predict(step4);
      assert.equal(code, 0, err);
      assert.equal(out.length, 2);
    });

    it('refuses NaN weights, naming the file and the tensor', async () => {
      const file = path.join(step4, 'model.safetensors');
      let name = '';
      await editCheckpointTensors(step4, 'model.safetensors', 4, (tensors) => {
        name = [...tensors.keys()][0];
        replaceTensor(tensors, name, (old) => tf.fill(old.shape, Number.POSITIVE_INFINITY));
      });
      await refused(`${file} holds NaN or infinite values, in '${name}'.`);
      // floe export of the supervised checkpoint loads it through the same checks.
      const before = tf.memory().numTensors;
      const err: string[] = [];
      const code = await runCli(['export', '--checkpoint', step4, '--format', 'safetensors', '--out', path.join(dir, 'export')], { out: () => undefined, err: (l) => err.push(l) });
      assert.equal(code, 1);
      assert.ok(err.join('\n').includes(`${file} holds NaN or infinite values, in '${name}'.`), err.join('\n'));
      assert.equal(tf.memory().numTensors, before, 'the failed export left tensors behind');
    });

    it('refuses a model.safetensors of another save', async () => {
      fs.copyFileSync(path.join(path.dirname(step4), 'step-000002', 'model.safetensors'), path.join(step4, 'model.safetensors'));
      await writeManifest(step4);
      await refused(`Checkpoint '${step4}' mixes files of different saves: model.safetensors was saved at step 2`);
    });

    it("refuses feature stats in another order than data-schema.json's features (each input standardized with another column's stats)", async () => {
      const file = path.join(step4, 'data-schema.json');
      const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as { featureNames: string[] };
      assert.deepEqual(schema.featureNames, ['x', 'y']);
      schema.featureNames = ['y', 'x'];
      fs.writeFileSync(file, JSON.stringify(schema));
      await writeManifest(step4);
      await refused(
        `Checkpoint '${step4}': normalization.json does not match data-schema.json: its features stats are for (x, y) but data-schema.json gives the features (y, x). The stats apply by position`,
      );
    });
  });

  it("a run folder's damaged newest checkpoint is an error naming the intact one before it", async () => {
    const run = path.join(dir, 'run');
    await trainSpirals(run);
    fs.truncateSync(path.join(run, 'checkpoints', 'step-000004', 'model.safetensors'), 10);
    await assert.rejects(loadSupervisedPredictor(run, { backend: 'cpu' }), (e: Error) => {
      assert.ok(e instanceof CheckpointError, e.stack);
      assert.match(e.message, /'model\.safetensors': size is 10 bytes/);
      assert.ok(e.message.endsWith(`The newest checkpoint before it is ${path.join(run, 'checkpoints', 'step-000002')}: pass that folder to use it instead, or move the damaged one out of the folder.`), e.message);
      return true;
    });
    const predictor = await loadSupervisedPredictor(path.join(run, 'checkpoints', 'step-000002'), { backend: 'cpu' });
    predictor.dispose();
  });
});
