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

  it('floe evaluate --data measures the pairs of whole jsonl files: swapping chosen and rejected swaps the rewards', async () => {
    const recipe = dpoRecipe({ outputDir: path.join(dir, 'run'), trainIters: 10, extra: { checkpoint: [{ type: 'floe' }] } });
    await runJob(recipe, { logger: new Logger({ sink: () => undefined }) });
    const pairs = [1, 2, 3, 4, 5, 6].map((a) => ({ prompt: `${a}+2=`, chosen: `${a + 2}`, rejected: `${a + 5}` }));
    const write = (name: string, lines: object[]): string => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
      return file;
    };
    const right = write('right.jsonl', pairs);
    const swapped = write('swapped.jsonl', pairs.map((p) => ({ ...p, chosen: p.rejected, rejected: p.chosen })));
    const before = tf.memory().numTensors;
    const quiet = { checkpoint: path.join(dir, 'run'), logger: new Logger({ sink: () => undefined }) };
    const a = await evaluateJob(recipe, { ...quiet, data: [right] });
    const b = await evaluateJob(recipe, { ...quiet, data: [swapped] });
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual([a.data.files, a.data.records], [[right], 6]);
    const m = (r: typeof a, name: string): number => r.metrics[`eval/rewards/${name}`];
    assert.notEqual(m(a, 'margin'), 0);
    assert.ok(Math.abs(m(a, 'chosen') - m(b, 'rejected')) < 1e-6 && Math.abs(m(a, 'rejected') - m(b, 'chosen')) < 1e-6, `a ${JSON.stringify(a.metrics)}, b ${JSON.stringify(b.metrics)}`);
    assert.ok(Math.abs(m(a, 'margin') + m(b, 'margin')) < 1e-6);
  });
});
