import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, evaluateJob, Logger, Metrics, runJob, Trainer } from '../../src';
import { dpoRecipe } from './dpo-recipe';

/** Keeps the run's evaluations. */
class Evals extends Callback {
  readonly evals: Metrics[] = [];
  override async onEvaluate(m: Metrics): Promise<void> {
    this.evals.push({ ...m });
  }
}

describe('DPOTrainer evaluate', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dpo-eval-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('of a checkpoint without LoRA measures against the initial weights (rebuilt from the seed, checked by hash): the run\'s own end-of-run figures, not zero rewards', async () => {
    const recipe = dpoRecipe({ outputDir: path.join(dir, 'run'), trainIters: 20, extra: { checkpoint: [{ type: 'floe' }], evalInterval: 0, evalAtEnd: true }, data: { trainEvalSplit: [0.8, 0.2] } });
    let evals: Evals | undefined;
    await runJob(recipe, {
      logger: new Logger({ sink: () => undefined }),
      onTrainerReady: async (t: Trainer) => {
        evals = new Evals(t, new CallbackConfig());
        t.callbackList.callbacks.push(evals);
      },
    });
    const atEnd = (evals as Evals).evals.at(-1) as Metrics;
    const before = tf.memory().numTensors;
    const warnings: string[] = [];
    const result = await evaluateJob(recipe, { checkpoint: path.join(dir, 'run'), logger: new Logger({ sink: (_level, line) => warnings.push(line) }) });
    assert.equal(tf.memory().numTensors, before);
    assert.notEqual(result.metrics['eval/rewards/margin'], 0);
    for (const name of ['eval/loss', 'eval/rewards/chosen', 'eval/rewards/rejected', 'eval/rewards/accuracy', 'eval/rewards/margin']) {
      assert.ok(Math.abs(result.metrics[name] - atEnd[name]) < 1e-6, `${name}: evaluate ${result.metrics[name]}, the run ${atEnd[name]}`);
    }
    assert.ok(!warnings.some((l) => /reference model is the loaded checkpoint/.test(l)), warnings.join('\n'));
  });
});
