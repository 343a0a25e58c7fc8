import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { runJob, TrainingResult } from '../../src';
import { quietLogger, useTempDir } from '../fixtures/supervised';

const RECIPES = path.resolve(__dirname, '../../../recipes');

/** Runs a shipped recipe as is (its own backend and sizes), into a temp folder, and checks it leaks no tensors. */
async function runRecipe(name: string, outputDir: string): Promise<TrainingResult> {
  const before = tf.memory().numTensors;
  const result = await runJob(path.join(RECIPES, name), { overrides: [`outputDir=${outputDir}`, 'quiet=true'], logger: quietLogger() });
  assert.equal(tf.memory().numTensors, before, `${name} leaked ${tf.memory().numTensors - before} tensor(s)`);
  return result;
}

describe('supervised recipes reach their targets', () => {
  const tmp = useTempDir();

  it('spirals-classifier.yaml: eval accuracy >= 97%', async () => {
    const result = await runRecipe('spirals-classifier.yaml', tmp());
    assert.ok(result.metrics['eval/accuracy'] >= 0.97, `eval/accuracy ${result.metrics['eval/accuracy']}`);
  });

  it('sine-regression.yaml: eval MAE < 0.08 in y units (noise floor ~0.04)', async () => {
    const result = await runRecipe('sine-regression.yaml', tmp());
    assert.ok(result.metrics['eval/mae'] < 0.08, `eval/mae ${result.metrics['eval/mae']}`);
    assert.ok(result.metrics['eval/rmse'] >= result.metrics['eval/mae']);
  });

  it('csv-regression.yaml: eval MAE < 0.03 s on pendulum periods of 0.6 to 2.9 s', async () => {
    const result = await runRecipe('csv-regression.yaml', tmp());
    assert.ok(result.metrics['eval/mae'] < 0.03, `eval/mae ${result.metrics['eval/mae']}`);
  });
});
