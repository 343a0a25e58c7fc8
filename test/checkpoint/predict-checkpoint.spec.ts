import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError, loadSupervisedPredictor } from '../../src';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

describe('floe predict and damaged checkpoints', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-predict-ck-')));
  afterEach(() => cleanup());

  it("a run folder's damaged newest checkpoint is an error naming the intact one before it", async () => {
    const run = path.join(dir, 'run');
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
