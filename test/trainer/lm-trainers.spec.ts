import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, completeBatch, LanguageModelTrainer, LmBatch, Logger, Metrics, runJob, Trainer } from '../../src';

class LossLog extends Callback {
  constructor(trainer: Trainer, private readonly losses: number[]) {
    super(trainer, new CallbackConfig());
  }
  override async onLog(m: Metrics): Promise<void> {
    this.losses.push(m.loss);
  }
}

const TEXT = 'the floe drifts on the sea and the sea carries the floe. '.repeat(10);

describe('CausalTrainer and SFTTrainer', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-lm-'));
    fs.writeFileSync(path.join(dir, 'a.txt'), TEXT);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const backend of ['cpu', 'wasm']) {
    it(`lowers next-token loss on text in a short causal run (${backend})`, async () => {
      const losses: number[] = [];
      const before = tf.memory().numTensors;
      const result = await runJob(
        {
          type: 'causal',
          backend,
          epochs: 100,
          trainIters: 40,
          microBatchSize: 8,
          logInterval: 5,
          outputDir: path.join(dir, 'run'),
          data: { type: 'causal', sources: [{ type: 'text', paths: ['a.txt'] }], maxLength: 32, trainEvalSplit: [1, 0], cacheDir: path.join(dir, 'cache') },
          model: { type: 'gpt', layers: 1, heads: 2, dim: 32, maxLength: 32 },
          optimizer: { type: 'adamw', lr: 1e-2 },
          checkpoint: [],
        },
        { baseDir: dir, logger: new Logger({ sink: () => undefined }), onTrainerReady: (t) => void t.callbackList.callbacks.push(new LossLog(t, losses)) },
      );
      assert.equal(result.status, 'finished');
      assert.ok(losses[0] > 4, `starts near ln(259): ${losses[0]}`);
      assert.ok(losses[losses.length - 1] < losses[0] / 2, `loss fell from ${losses[0]} to ${losses[losses.length - 1]}`);
      assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    });
  }

  it('computes SFT loss only on completion tokens (prompt tokens do not change it)', async () => {
    let trainer: LanguageModelTrainer | undefined;
    const rows: number[] = [];
    await runJob(
      {
        type: 'sft',
        backend: 'cpu',
        trainIters: 1,
        microBatchSize: 4,
        outputDir: path.join(dir, 'run'),
        data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 8 }], maxLength: 16, trainEvalSplit: [1, 0], cache: false },
        model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16 },
        checkpoint: [],
      },
      {
        logger: new Logger({ sink: () => undefined }),
        onTrainerReady: async (t) => {
          trainer = t as LanguageModelTrainer;
          const it = (t.trainLoader.batches(0) as Iterable<LmBatch>)[Symbol.iterator]();
          const batch = it.next().value;
          const base = await t.loss(batch).data();
          // Corrupt every label the mask excludes: the loss must not move.
          const changed = tf.tidy(() => tf.where(tf.cast(batch.lossMask, 'bool'), batch.labels, tf.fill(batch.labels.shape, 42, 'int32')));
          const alt = await t.loss({ ...batch, labels: changed as tf.Tensor2D }).data();
          rows.push(base[0], alt[0], batch.numLossTokens, batch.numTokens);
          tf.dispose([changed]);
          tf.dispose(batch);
        },
      },
    );
    assert.ok(trainer !== undefined);
    assert.equal(rows[0], rows[1], 'masked labels do not affect the loss');
    assert.ok(rows[2] < rows[3], 'fewer loss tokens than real tokens (prompts are masked)');
  });

  it('completes held-out prompts after bos when the data puts bos before each record (data.addBos)', async () => {
    const prompts = ['12+34=', '7+8=', '5+61=', '90+9='];
    let got: string[] = [];
    let afterBos: string[] = [];
    let withoutBos: string[] = [];
    let leaked = -1;
    await runJob(
      {
        type: 'sft',
        backend: 'cpu',
        seed: 5,
        trainIters: 1,
        microBatchSize: 4,
        outputDir: path.join(dir, 'run'),
        data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 8 }], maxLength: 16, trainEvalSplit: [1, 0], addBos: true, cache: false },
        model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16, initStd: 0.5 },
        checkpoint: [],
      },
      {
        logger: new Logger({ sink: () => undefined }),
        onTrainerReady: async (t) => {
          const lm = t as LanguageModelTrainer;
          const tok = lm.tokenizer;
          const before = tf.memory().numTensors;
          got = (await lm.completeExamples(prompts.map((prompt) => ({ prompt, completion: '?' })))).map((s) => s.produced);
          leaked = tf.memory().numTensors - before;
          const complete = async (ids: number[][]): Promise<string[]> =>
            (await completeBatch(lm.gpt, ids, { maxNewTokens: 3, stopTokenId: tok.eosId, padId: tok.padId })).map((p) => tok.decode(p));
          afterBos = await complete(prompts.map((p) => [tok.bosId, ...tok.encode(p)]));
          withoutBos = await complete(prompts.map((p) => tok.encode(p)));
        },
      },
    );
    assert.notDeepEqual(afterBos, withoutBos, 'the model answers differently with and without bos');
    assert.deepEqual(got, afterBos);
    assert.equal(leaked, 0);
  });
});
