import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readSafetensors, readTfjsWeights, readTrainerStateFile } from '../../src/checkpoint';
import '../fixtures/tiny-regression';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** The test-only linear regression trainer (not a GPT): 8 batches per epoch. */
function tinyRegressionRecipe(outputDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'tiny', backend: 'cpu', ...QUIET_RUN, epochs: 2, microBatchSize: 8, logInterval: 4, outputDir, optimizer: { type: 'adam', lr: 0.05 }, callbacks: [], ...overrides };
}

describe('safetensors and tfjs checkpoint engines', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-engines-')));
  afterEach(() => cleanup());

  it('export the weights of any model next to the floe checkpoints; a run folder is enough to resume', async () => {
    const run = path.join(dir, 'run');
    const checkpoint = [
      { type: 'floe', saveEveryNSteps: 4 },
      { type: 'safetensors', saveEveryNSteps: 4, keepLast: 1 },
      { type: 'tfjs', saveEveryNSteps: 0 },
    ];
    const first = await runRecorded(tinyRegressionRecipe(run, { checkpoint }));
    assert.equal(first.result.globalStep, 16);

    assert.deepEqual(fs.readdirSync(path.join(run, 'safetensors')), ['step-000016']);
    const exported = path.join(run, 'safetensors', 'step-000016');
    // Not a GPT: no architecture to record, weights by the model's own names.
    assert.deepEqual(fs.readdirSync(exported).sort(), ['manifest.json', 'model.safetensors']);
    const weights = await readSafetensors(path.join(exported, 'model.safetensors'));
    assert.deepEqual([...weights.tensors.keys()], ['linear.bias', 'linear.weight']);
    assert.deepEqual(weights.metadata, { format: 'floe', step: '16' });
    const floe = await readSafetensors(path.join(run, 'checkpoints', 'step-000016', 'model.safetensors'));
    assert.deepEqual(weights.tensors.get('linear.weight')?.data, floe.tensors.get('linear.weight')?.data);

    // The tfjs engine saved once, at the end: a weights-only tfjs folder.
    assert.deepEqual(fs.readdirSync(path.join(run, 'tfjs')), ['step-000016']);
    const tfjs = await readTfjsWeights(path.join(run, 'tfjs', 'step-000016'));
    assert.deepEqual(Object.keys(tfjs).sort(), ['linear.bias', 'linear.weight']);
    assert.deepEqual([...(await tfjs['linear.weight'].data())], [...(floe.tensors.get('linear.weight')?.data ?? [])]);
    Object.values(tfjs).forEach((t) => t.dispose());

    // resumeFrom accepts the run folder and picks its newest floe checkpoint.
    const resumed = await runRecorded(tinyRegressionRecipe(run, { epochs: 3, checkpoint }), { resumeFrom: run });
    assert.ok(resumed.lines.some((l) => l.includes('at step 16')), resumed.lines.join('\n'));
    assert.equal(resumed.result.globalStep, 24);
    assert.equal((await readTrainerStateFile(path.join(run, 'checkpoints', 'step-000024'))).state.epochIndex, 2);
  });
});
