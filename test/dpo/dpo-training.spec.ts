import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, DPOTrainer, Logger, Metrics, PreferenceBatch, runJob, Trainer } from '../../src';
import { dpoRecipe } from './dpo-recipe';

/** Keeps every train and eval record and the live tensor count after each log. */
class Records extends Callback {
  readonly logs: Metrics[] = [];
  readonly evals: Metrics[] = [];
  readonly tensors: number[] = [];
  /** The reference's state as training ends (the trainer frees its copy after). */
  end?: Promise<{ logps: number[]; weights: number[][] }>;
  constructor(trainer: Trainer, private readonly batch: PreferenceBatch) {
    super(trainer, new CallbackConfig());
  }
  override async onTrainEnd(): Promise<void> {
    this.end = referenceState(this.trainer as DPOTrainer, this.batch);
    await this.end;
  }
  override async onLog(m: Metrics): Promise<void> {
    this.logs.push({ ...m });
    // Logged metrics were pending tensors until now: what is live after a log is what the run holds.
    this.tensors.push(tf.memory().numTensors);
  }
  override async onEvaluate(m: Metrics): Promise<void> {
    this.evals.push({ ...m });
  }
}

/** The reference's log-probs of a fixed batch and its weights (the base ones with LoRA, else its copy's). */
async function referenceState(trainer: DPOTrainer, batch: PreferenceBatch): Promise<{ logps: number[]; weights: number[][] }> {
  const logps = trainer.referenceLogps(batch);
  const source = trainer.reference.copy?.params ?? new Map([...trainer.gpt.params].filter(([name]) => !name.includes('lora_')));
  const weights = await Promise.all([...source.values()].map(async (v) => Array.from(await v.data())));
  const out = { logps: Array.from(await logps.data()), weights };
  logps.dispose();
  return out;
}

describe('DPOTrainer training', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dpo-train-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const lora of [undefined, { rank: 8, alpha: 32, targets: ['*.attn.*', '*.mlp.*'] }]) {
    const which = lora === undefined ? 'a frozen copy' : 'the LoRA base model';
    it(`raises rewards/accuracy and the margin and lowers the loss in a few dozen steps, with ${which} as reference unchanged and no tensor growth`, async () => {
      const before = tf.memory().numTensors;
      let records: Records | undefined;
      let batch: PreferenceBatch | undefined;
      let start: { logps: number[]; weights: number[][] } | undefined;
      const recipe = dpoRecipe({
        outputDir: path.join(dir, 'run'),
        backend: 'wasm',
        lora,
        trainIters: 60,
        extra: { beta: 0.5, microBatchSize: 16, logInterval: 15, evalInterval: 0, evalAtEnd: true },
        data: { sources: [{ type: 'synthetic', task: 'addition-preference', count: 2000, maxDigits: 1 }], trainEvalSplit: [0.9, 0.1] },
      });
      (recipe.model as Record<string, unknown>).dim = 32;
      // Adapters of rank 8 move slower than every weight: a larger step keeps the run at 60 steps.
      if (lora !== undefined) (recipe.optimizer as Record<string, unknown>).lr = 1e-2;
      if (lora !== undefined) recipe.trainIters = 90;
      const result = await runJob(recipe, {
        baseDir: dir,
        logger: new Logger({ sink: () => undefined }),
        onTrainerReady: async (t) => {
          const it = (t.trainLoader.batches(0) as Generator<PreferenceBatch>)[Symbol.iterator]();
          batch = it.next().value as PreferenceBatch;
          it.return?.(undefined);
          records = new Records(t, batch);
          t.callbackList.callbacks.push(records);
          start = await referenceState(t as DPOTrainer, batch);
        },
      });
      assert.equal(result.status, 'finished');
      const r = records as Records;
      // The first log window against the last two (seeded, so the figures are the same every run).
      const first = r.logs[0];
      const tail = r.logs.slice(-2);
      const late = (name: string): number => tail.reduce((sum, m) => sum + m[name], 0) / tail.length;
      const shown = r.logs.map((m) => `${m.step}: loss ${m.loss.toFixed(3)} acc ${m['rewards/accuracy'].toFixed(2)} margin ${m['rewards/margin'].toFixed(3)}`).join('; ');
      // Adapters on a random base learn slower than every weight: smaller, still clear, gains.
      const gain = lora === undefined ? { accuracy: 0.1, margin: 0.1, loss: 0.03 } : { accuracy: 0.08, margin: 0.05, loss: 0.02 };
      assert.ok(late('rewards/accuracy') > first['rewards/accuracy'] + gain.accuracy, `accuracy: ${shown}`);
      assert.ok(late('rewards/margin') > first['rewards/margin'] + gain.margin, `margin: ${shown}`);
      assert.ok(late('loss') < first.loss - gain.loss, `loss: ${shown}`);
      const evaluation = r.evals[r.evals.length - 1];
      assert.ok(evaluation['eval/rewards/accuracy'] > (lora === undefined ? 0.6 : 0.5), `held-out pairs ranked right: ${evaluation['eval/rewards/accuracy']}`);
      assert.ok(Math.abs(evaluation['eval/rewards/margin'] - (evaluation['eval/rewards/chosen'] - evaluation['eval/rewards/rejected'])) < 1e-9);
      // The reference did not move: the same weights and the same log-probs of a fixed batch.
      const end = await (r.end as Promise<{ logps: number[]; weights: number[][] }>);
      assert.deepEqual(end.logps, start?.logps);
      assert.deepEqual(end.weights, start?.weights);
      // Steady tensors from log to log: nothing of a step outlives its logging.
      assert.ok(r.tensors.length >= 4 && r.tensors.every((n) => n === r.tensors[0]), `live tensors after each log: ${r.tensors.join(', ')}`);
      tf.dispose(batch as unknown as tf.TensorContainer);
      assert.equal(tf.memory().numTensors, before, 'nothing left behind: the run freed the model, the trainer its reference');
    });
  }
});
