import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { checkedLoss, checkedMetrics, ConfigError, describeBatch, Logger, register, runJob, TrainingError } from '../../src';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

/** A stand-in trainer whose loss() does whatever the test needs. */
class PluginTrainer {
  constructor(readonly loss: (batch: TinyBatch) => unknown) {}
}

const where = (): string => 'training batch 3 of epoch 1 (step 3)';

describe('checkedLoss', () => {
  let batch: TinyBatch;
  beforeEach(() => {
    batch = { x: tf.zeros([8, 4]) as tf.Tensor2D, y: tf.zeros([8, 1]) as tf.Tensor2D };
  });
  afterEach(() => tf.dispose(batch as unknown as tf.TensorContainer));

  const call = (loss: (b: TinyBatch) => unknown): tf.Scalar => checkedLoss(new PluginTrainer(loss) as never, batch, where);

  it('passes a scalar through', () => {
    const loss = call((b) => tf.mean(b.y));
    assert.equal(loss.rank, 0);
    loss.dispose();
  });

  it('names the class and the shape when loss() returns a non-scalar tensor', () => {
    const before = tf.memory().numTensors;
    assert.throws(
      () => tf.tidy(() => call((b) => tf.mean(b.y, 1))),
      (e: Error) =>
        e instanceof TrainingError &&
        e.message === 'PluginTrainer.loss() returned a rank-1 tensor of shape [8] on training batch 3 of epoch 1 (step 3); it must return a scalar (rank 0): reduce it, e.g. tf.mean(perExample)',
    );
    assert.equal(tf.memory().numTensors, before);
  });

  it('names the class when loss() returns a number, undefined or a Promise', () => {
    assert.throws(() => call(() => 0.5), /^TrainingError: PluginTrainer\.loss\(\) returned the number 0\.5 \(a plain number has no gradient.*must return a tf\.Scalar/);
    assert.throws(() => call(() => undefined), /PluginTrainer\.loss\(\) returned undefined \(a missing return\?\) on training batch 3/);
    assert.throws(() => call(async () => tf.scalar(1)), /PluginTrainer\.loss\(\) returned a Promise on .*must return a tf\.Scalar synchronously/);
  });

  it("wraps an error thrown inside loss() with the batch's shapes and the plugin line that called tfjs", () => {
    assert.throws(
      () => call((b) => tf.matMul(b.x, tf.ones([3, 1]))),
      (e: Error) => {
        assert.ok(e instanceof TrainingError, String(e));
        assert.match(e.message, /^PluginTrainer\.loss\(\) threw on training batch 3 of epoch 1 \(step 3\), batch \{x: float32\[8,4\], y: float32\[8,1\]\} at .*checked-loss\.spec\.js:\d+:\d+: Error in matMul: inner shapes \(4\) and \(3\)/);
        assert.ok((e as Error & { cause?: unknown }).cause instanceof Error);
        return true;
      },
    );
  });

  it("rethrows Floe's own errors unchanged", () => {
    const own = new ConfigError([{ path: 'data.path', message: 'missing' }]);
    assert.throws(() => call(() => { throw own; }), (e: unknown) => e === own);
  });

  it('describes a batch by its tensors only', () => {
    assert.equal(describeBatch({ ...batch, numSamples: 8 }), '{x: float32[8,4], y: float32[8,1]}');
  });
});

describe('checkedMetrics', () => {
  class MyTrainer {}
  it("names the class and the metric when evaluate() returns a tensor or no object (was blamed on the progress callback: 'v.toFixed is not a function')", () => {
    const t = tf.scalar(1);
    try {
      assert.throws(
        () => checkedMetrics(new MyTrainer(), { 'eval/loss': t, 'eval/n': 3 }),
        /^TrainingError: MyTrainer\.evaluate\(\) returned metrics that are not numbers: 'eval\/loss' is a tensor \(read it first/,
      );
    } finally {
      t.dispose();
    }
    assert.throws(() => checkedMetrics(new MyTrainer(), undefined), /MyTrainer\.evaluate\(\) returned undefined; it must return an object of numbers/);
    assert.deepEqual(checkedMetrics(new MyTrainer(), { 'eval/loss': Number.NaN }), { 'eval/loss': Number.NaN });
  });

  it("refuses a metric named like a metrics.jsonl record's own field ('step' would move the eval record to another step)", () => {
    assert.throws(
      () => checkedMetrics(new MyTrainer(), { 'eval/loss': 1, step: 3, epoch: 0 }),
      (e: unknown) =>
        e instanceof TrainingError &&
        e.message === "MyTrainer.evaluate() returned 'step', 'epoch', which metrics.jsonl uses for each record itself (event, step, epoch, elapsed, time, memory); name them 'eval/step', 'eval/epoch' instead",
    );
    assert.deepEqual(checkedMetrics(new MyTrainer(), { loss: 1, accuracy: 0.5 }), { loss: 1, accuracy: 0.5 });
  });
});

describe('Trainer with a wrong loss()', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-checked-loss-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fails at the first step naming the class and what to do, leaving no tensors behind', async () => {
    class PerExampleTrainer extends TinyTrainer {
      static override readonly type = 'per-example';
      override loss(b: TinyBatch): tf.Scalar {
        return tf.squaredDifference(b.y, tf.zerosLike(b.y)).mean(1) as unknown as tf.Scalar;
      }
    }
    register(PerExampleTrainer);
    const before = tf.memory().numTensors;
    await assert.rejects(
      runJob({ type: 'per-example', backend: 'cpu', distributed: 'none', microBatchSize: 8, outputDir: path.join(dir, 'run'), checkpoint: [] }, { logger: new Logger({ sink: () => undefined }) }),
      (e: Error) => e instanceof TrainingError && /^PerExampleTrainer\.loss\(\) returned a rank-1 tensor of shape \[8\] on training batch 1 of epoch 1 \(step 1\)/.test(e.message),
    );
    assert.equal(tf.memory().numTensors, before, 'the failed run left tensors behind');
  });

  it("explains a loss no weight feeds, instead of tfjs's 'Cannot find a connection ... minimize()'", async () => {
    class DetachedTrainer extends TinyTrainer {
      static override readonly type = 'detached';
      override loss(b: TinyBatch): tf.Scalar {
        // A copy of the weights read back from the backend: a constant to the gradient tape.
        const w = tf.tensor2d(this.model.params.get('linear.weight')!.dataSync(), [4, 1]);
        return tf.losses.meanSquaredError(b.y, tf.matMul(b.x, w)) as tf.Scalar;
      }
    }
    register(DetachedTrainer);
    await assert.rejects(
      runJob({ type: 'detached', backend: 'cpu', distributed: 'none', microBatchSize: 8, outputDir: path.join(dir, 'run'), checkpoint: [] }, { logger: new Logger({ sink: () => undefined }) }),
      (e: Error) => e instanceof TrainingError && /^DetachedTrainer\.loss\(\) does not depend on any weight in this\.model\.params on training batch 1 of epoch 1 \(step 1\), so it has no gradient: .*dataSync\(\)/.test(e.message),
    );
  });

  it('names the class when batchWeight() returns no number (was: tfjs\'s "Argument \'b\' passed to \'mul\'")', async () => {
    class NoWeightTrainer extends TinyTrainer {
      static override readonly type = 'no-weight';
      override batchWeight(b: TinyBatch): number {
        return (b as unknown as { numSamples: number }).numSamples;
      }
    }
    register(NoWeightTrainer);
    await assert.rejects(
      runJob({ type: 'no-weight', backend: 'cpu', distributed: 'none', microBatchSize: 8, outputDir: path.join(dir, 'run'), checkpoint: [] }, { logger: new Logger({ sink: () => undefined }) }),
      /^TrainingError: NoWeightTrainer\.batchWeight\(\) returned undefined for batch \{x: float32\[8,4\], y: float32\[8,1\]\}; it must return a finite number ≥ 0/,
    );
  });

  it('names the eval batch when loss() fails only in evaluation', async () => {
    class EvalOnlyBadTrainer extends TinyTrainer {
      static override readonly type = 'eval-bad';
      override loss(b: TinyBatch): tf.Scalar {
        return this.isTraining ? super.loss(b) : (tf.mean(b.y, 1) as unknown as tf.Scalar);
      }
    }
    register(EvalOnlyBadTrainer);
    await assert.rejects(
      runJob({ type: 'eval-bad', backend: 'cpu', distributed: 'none', microBatchSize: 8, outputDir: path.join(dir, 'run'), checkpoint: [] }, { logger: new Logger({ sink: () => undefined }) }),
      /EvalOnlyBadTrainer\.loss\(\) returned a rank-1 tensor of shape \[8\] on eval batch 1;/,
    );
  });
});
