import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, LayersModelAdapter, loadSupervisedPredictor, readSafetensorsTensors, runJob, SupervisedTrainer, TfjsFileHandler, validateRecipe } from '../../src';
import { buildSupervisedTrainer, disposeTrainer, quietLogger, useTempDir } from '../fixtures/supervised';
import { maxAbsDiff } from '../support/tensors';

/** A tfjs user's own model: 2 features → 32 → 32 → 3 logits, saved as model.json + weights. */
async function saveUsersModel(dir: string): Promise<Map<string, Float32Array>> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ name: 'hidden1', units: 32, activation: 'relu', inputShape: [2] }),
      tf.layers.dense({ name: 'hidden2', units: 32, activation: 'relu' }),
      tf.layers.dense({ name: 'logits', units: 3 }),
    ],
  });
  const weights = new Map(model.weights.map((w) => [w.originalName.replace('/', '.'), w.read().dataSync() as Float32Array]));
  await model.save(new TfjsFileHandler(dir));
  model.dispose();
  return weights;
}

const spirals = { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'spirals', count: 900 }] };

/** Weights by name, copied. */
function snapshot(trainer: SupervisedTrainer): Map<string, Float32Array> {
  return new Map([...trainer.model.params].map(([n, v]) => [n, Float32Array.from(v.dataSync())]));
}

describe('LayersModelFactory', () => {
  const tmp = useTempDir();

  it('trains a tfjs model loaded from model.json with Floe’s optimizer, starting from its saved weights', async () => {
    const saved = await saveUsersModel(path.join(tmp(), 'my-model'));
    const recipe = {
      type: 'supervised',
      backend: 'cpu',
      quiet: true,
      seed: 1,
      epochs: 25,
      microBatchSize: 32,
      maxGradNorm: 0,
      outputDir: path.join(tmp(), 'run'),
      data: spirals,
      model: { type: 'layers', modelJson: 'my-model/model.json' },
      loss: { type: 'cross-entropy' },
      optimizer: { type: 'adam', lr: 0.01, weightDecay: 0 },
    };
    // Built but not trained: the model's weights are model.json's, under <layer>.<weight> names.
    const fresh = await buildSupervisedTrainer(recipe, tmp());
    try {
      assert.ok(fresh.model instanceof LayersModelAdapter);
      const initial = snapshot(fresh);
      assert.deepEqual([...initial.keys()], ['hidden1.kernel', 'hidden1.bias', 'hidden2.kernel', 'hidden2.bias', 'logits.kernel', 'logits.bias']);
      for (const [name, values] of saved) assert.equal(maxAbsDiff(initial.get(name) as Float32Array, values), 0, `${name} starts from model.json`);
    } finally {
      disposeTrainer(fresh);
    }

    const result = await runJob(recipe, { baseDir: tmp(), logger: quietLogger() });
    assert.ok(result.metrics['eval/accuracy'] >= 0.9, `eval/accuracy ${result.metrics['eval/accuracy']}`);
    const checkpoint = result.lastCheckpointPath as string;
    const trained = await readSafetensorsTensors(path.join(checkpoint, 'model.safetensors'));
    const final = new Map([...trained].map(([n, t]) => [n, t.dataSync() as Float32Array]));
    tf.dispose([...trained.values()]);
    assert.deepEqual([...final.keys()].sort(), [...saved.keys()].sort());
    assert.ok(maxAbsDiff(final.get('hidden1.kernel') as Float32Array, saved.get('hidden1.kernel') as Float32Array) > 1e-3, 'the weights were trained');

    // The checkpoint carries the topology: prediction works with the original model.json gone.
    fs.rmSync(path.join(tmp(), 'my-model'), { recursive: true });
    const predictor = await loadSupervisedPredictor(checkpoint, { backend: 'cpu' });
    try {
      const weights = snapshot(predictor.trainer);
      for (const [name, values] of final) assert.equal(maxAbsDiff(weights.get(name) as Float32Array, values), 0, `${name} restored`);
      const [p] = await predictor.predict([[0.5, 0.1]]);
      assert.equal((p.probabilities as number[]).length, 3);
    } finally {
      predictor.dispose();
    }
  });

  it('stacks a layer list with stable names and seeded initial weights', async () => {
    const recipe = (seed: number) => ({
      type: 'supervised',
      seed,
      data: spirals,
      loss: { type: 'cross-entropy' },
      model: { type: 'layers', layers: [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 3 }] },
    });
    const a = await buildSupervisedTrainer(recipe(3), tmp());
    const b = await buildSupervisedTrainer(recipe(3), tmp());
    const c = await buildSupervisedTrainer(recipe(4), tmp());
    try {
      const [wa, wb, wc] = [a, b, c].map(snapshot);
      assert.deepEqual([...wa.keys()], ['dense_0.kernel', 'dense_0.bias', 'dense_2.kernel', 'dense_2.bias']);
      assert.equal(maxAbsDiff(wa.get('dense_0.kernel') as Float32Array, wb.get('dense_0.kernel') as Float32Array), 0);
      assert.ok(maxAbsDiff(wa.get('dense_0.kernel') as Float32Array, wc.get('dense_0.kernel') as Float32Array) > 1e-3);
      assert.ok(maxAbsDiff(wa.get('dense_0.kernel') as Float32Array, wa.get('dense_2.kernel')?.subarray(0, 16) as Float32Array) > 1e-3, 'layers get different seeds');
    } finally {
      [a, b, c].forEach(disposeTrainer);
    }
  });

  it('checks the layer list in validation and the model’s widths against the data', async () => {
    const base = { type: 'supervised', data: spirals, loss: { type: 'cross-entropy' } };
    await assert.rejects(validateRecipe({ ...base, model: { type: 'layers', layers: [{ type: 'dens', units: 3 }] } }), /model\.layers: layers\[0\]\.type 'dens' is not a tf\.layers factory that takes one input\. Did you mean 'dense'\?/);
    await assert.rejects(validateRecipe({ ...base, model: { type: 'layers' } }), /model\.layers: missing: give 'layers: \[\.\.\.\]'.*or 'modelJson: path\/to\/model\.json'/);
    const narrow = { ...base, model: { type: 'layers', layers: [{ type: 'dense', units: 2 }] } };
    await assert.rejects(buildSupervisedTrainer(narrow, tmp()), (e: unknown) => e instanceof ConfigError && /model\.layers: the tfjs model gives 2 outputs per row, but the data and loss need 3/.test((e as Error).message));
    const missing = { ...base, model: { type: 'layers', modelJson: 'nowhere/model.json' } };
    await assert.rejects(buildSupervisedTrainer(missing, tmp()), /model\.modelJson: nowhere\/model\.json: not found/);
  });

  it('refuses a misspelt layer argument tf.layers would ignore, and accepts arguments its config does not echo', async () => {
    const base = { type: 'supervised', data: spirals, loss: { type: 'cross-entropy' } };
    const typo = { ...base, model: { type: 'layers', layers: [{ type: 'dense', units: 8, activaton: 'relu' }, { type: 'dense', units: 3 }] } };
    await assert.rejects(buildSupervisedTrainer(typo, tmp()), (e: unknown) => e instanceof ConfigError && e.issues[0].path === 'model.layers[0].activaton' && /has no argument 'activaton' \(it would be ignored\)\. Did you mean 'activation'\?/.test(e.message));
    const fine = { ...base, model: { type: 'layers', layers: [{ type: 'dense', units: 8, inputDim: 2, activation: 'relu' }, { type: 'dropout', rate: 0.1, seed: 2 }, { type: 'dense', units: 3 }] } };
    disposeTrainer(await buildSupervisedTrainer(fine, tmp()));
  });

  it('refuses a last activation the loss applies again (softmax into logits cross-entropy), past pass-through layers', async () => {
    const base = { type: 'supervised', data: spirals, loss: { type: 'cross-entropy' } };
    const before = tf.memory().numTensors;
    for (const layers of [
      [{ type: 'dense', units: 3, activation: 'softmax' }],
      [{ type: 'dense', units: 3 }, { type: 'softmax' }, { type: 'dropout', rate: 0.1 }],
    ]) {
      await assert.rejects(
        buildSupervisedTrainer({ ...base, model: { type: 'layers', layers } }, tmp()),
        (e: unknown) => e instanceof ConfigError && /model\.layers: the tfjs model ends in a layer with activation 'softmax' but loss cross-entropy takes logits and applies the softmax itself/.test((e as Error).message),
      );
    }
    assert.equal(tf.memory().numTensors, before);
    const probabilities = await buildSupervisedTrainer({ ...base, loss: { type: 'cross-entropy', fromLogits: false }, model: { type: 'layers', layers: [{ type: 'dense', units: 3, activation: 'softmax' }] } }, tmp());
    disposeTrainer(probabilities);
  });
});
