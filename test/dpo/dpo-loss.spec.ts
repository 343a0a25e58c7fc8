import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DPOTrainer, GptModel, Logger, PreferenceBatch, runJob, Trainer } from '../../src';
import { dpoRecipe } from './dpo-recipe';

/** log σ(z) in float64, stable both ways. */
function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

/** Σ over masked tokens of log softmax(logits)[label], per row, in float64 (mean with `average`). */
function handLogps(logits: number[][][], labels: number[][], mask: number[][], average: boolean): number[] {
  return logits.map((row, b) => {
    let sum = 0;
    let count = 0;
    row.forEach((l, t) => {
      if (mask[b][t] === 0) return;
      const max = Math.max(...l);
      const lse = max + Math.log(l.reduce((s, x) => s + Math.exp(x - max), 0));
      sum += l[labels[b][t]] - lse;
      count++;
    });
    return average ? sum / Math.max(count, 1) : sum;
  });
}

/** The DPO loss and reward means of TRL, from per-row log-probs (chosen rows first), in float64. */
function handDpo(policy: number[], reference: number[], o: { beta: number; eps: number; ipo: boolean }): number[] {
  const pairs = policy.length / 2;
  let loss = 0;
  let chosen = 0;
  let rejected = 0;
  let correct = 0;
  for (let i = 0; i < pairs; i++) {
    const h = policy[i] - policy[pairs + i] - (reference[i] - reference[pairs + i]);
    loss += o.ipo ? (h - 1 / (2 * o.beta)) ** 2 : -(1 - o.eps) * logSigmoid(o.beta * h) - o.eps * logSigmoid(-o.beta * h);
    const rc = o.beta * (policy[i] - reference[i]);
    const rr = o.beta * (policy[pairs + i] - reference[pairs + i]);
    chosen += rc;
    rejected += rr;
    correct += rc > rr ? 1 : 0;
  }
  return [loss / pairs, chosen / pairs, rejected / pairs, correct / pairs];
}

/** The first training batch of the trainer's loader. */
function firstBatch(trainer: Trainer): PreferenceBatch {
  const it = (trainer.trainLoader.batches(0) as Generator<PreferenceBatch>)[Symbol.iterator]();
  const batch = it.next().value as PreferenceBatch;
  it.return?.(undefined);
  return batch;
}

/** The trainer's loss and reward means for `batch`, with the reference log-probs set as step() sets them. */
async function trainerFigures(trainer: DPOTrainer, batch: PreferenceBatch): Promise<number[]> {
  batch.referenceLogps = trainer.referenceLogps(batch);
  const { loss, sums } = trainer.dpo(batch);
  const [l, s] = await Promise.all([loss.data(), sums.data()]);
  tf.dispose([loss, sums, batch.referenceLogps]);
  batch.referenceLogps = undefined;
  return [l[0], s[0] / batch.numPairs, s[1] / batch.numPairs, s[2] / batch.numPairs];
}

describe('DPOTrainer loss', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dpo-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases = [
    { name: 'sigmoid with cDPO label smoothing, reference a copy of the initial weights', lora: undefined, extra: { beta: 0.3, labelSmoothing: 0.1 } },
    { name: 'sigmoid, LoRA: the reference is the model with its adapters off', lora: { rank: 2, targets: ['*.attn.*', '*.mlp.*'] }, extra: { beta: 0.5 } },
    { name: 'ipo on length-averaged log-probs, LoRA', lora: { rank: 2 }, extra: { beta: 0.2, lossType: 'ipo' } },
  ];
  for (const c of cases) {
    it(`equals a float64 implementation with separate forwards (${c.name})`, async () => {
      let checked = false;
      await runJob(dpoRecipe({ outputDir: path.join(dir, 'run'), lora: c.lora, extra: c.extra }), {
        baseDir: dir,
        logger: new Logger({ sink: () => undefined }),
        onTrainerReady: async (t) => {
          const trainer = t as DPOTrainer;
          const gpt = trainer.gpt;
          // The reference by hand: a separate model of the base weights as they start (no adapters).
          const base = new Map([...gpt.params].filter(([name]) => !name.includes('lora_')).map(([name, v]) => [name, v.clone()]));
          const refModel = new GptModel({ ...gpt.options, lora: undefined }, { weights: base });
          tf.dispose([...base.values()]);
          // Move the policy away from the reference: adapters' B (LoRA), else every weight.
          tf.tidy(() => {
            for (const [name, v] of gpt.params) {
              if (c.lora !== undefined && !name.endsWith('lora_b')) continue;
              v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.3, 'float32', 11)));
            }
          });
          const batch = firstBatch(trainer);
          const before = tf.memory().numTensors;
          const got = await trainerFigures(trainer, batch);
          assert.equal(tf.memory().numTensors, before, 'the loss leaves no tensors behind');
          const [labels, mask] = [batch.labels.arraySync(), batch.lossMask.arraySync()];
          const policyLogits = tf.tidy(() => gpt.forward(batch.inputIds)).arraySync() as number[][][];
          const refLogits = tf.tidy(() => refModel.forward(batch.inputIds)).arraySync() as number[][][];
          tf.dispose(batch as unknown as tf.TensorContainer);
          refModel.dispose();
          const cfg = c.extra as { beta: number; labelSmoothing?: number; lossType?: string };
          const ipo = cfg.lossType === 'ipo';
          const want = handDpo(handLogps(policyLogits, labels, mask, ipo), handLogps(refLogits, labels, mask, ipo), { beta: cfg.beta, eps: cfg.labelSmoothing ?? 0, ipo });
          got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `figure ${i} (loss, chosen, rejected, accuracy): ${v} vs float64 ${want[i]}`));
          assert.ok(Math.abs(want[1] - want[2]) > 1e-3, `the policy differs from the reference: rewards ${want[1]} vs ${want[2]}`);
          checked = true;
        },
      });
      assert.ok(checked);
    });
  }

  it('is log 2 with zero rewards at step 0 with LoRA (adapters start as a no-op, so policy = reference)', async () => {
    let got: number[] = [];
    await runJob(dpoRecipe({ outputDir: path.join(dir, 'run'), lora: { rank: 4, targets: ['*.attn.*', '*.mlp.*'] } }), {
      baseDir: dir,
      logger: new Logger({ sink: () => undefined }),
      onTrainerReady: async (t) => {
        const batch = firstBatch(t);
        got = await trainerFigures(t as DPOTrainer, batch);
        tf.dispose(batch as unknown as tf.TensorContainer);
      },
    });
    assert.ok(Math.abs(got[0] - Math.log(2)) < 1e-6, `loss ${got[0]} vs log 2 = ${Math.log(2)}`);
    assert.ok(Math.abs(got[1]) < 1e-6 && Math.abs(got[2]) < 1e-6, `rewards ${got[1]}, ${got[2]} are 0`);
  });
});
