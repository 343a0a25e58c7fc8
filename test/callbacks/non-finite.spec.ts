import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { NonFiniteError, NonFiniteGuard, NonFiniteSkipsError, register, runJob } from '../../src';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe } from './fixtures/tiny-run';

/** Poisons the loss (and so every gradient) of optimizer step 7 with NaN. */
class NanAtStep7Trainer extends TinyTrainer {
  static override readonly type: string = 'tiny-nan-at-7';
  override loss(batch: TinyBatch): tf.Scalar {
    const loss = super.loss(batch);
    return this.globalStep === 6 ? loss.mul(NaN) : loss;
  }
}

/** Poisons every loss from optimizer step 7 on. */
class NanFromStep7Trainer extends TinyTrainer {
  static override readonly type: string = 'tiny-nan-from-7';
  override loss(batch: TinyBatch): tf.Scalar {
    const loss = super.loss(batch);
    return this.globalStep >= 6 ? loss.mul(NaN) : loss;
  }
}

describe('Non-finite guard', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('nonfinite');
    register(NanAtStep7Trainer);
    register(NanFromStep7Trainer);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stops at the step that went NaN, names it, and never saves a checkpoint after it', async () => {
    const before = tf.memory().numTensors;
    // Logging only every 100 steps: the guard, not the logger, must catch it.
    const recipe = tinyRecipe(dir, { type: 'tiny-nan-at-7', epochs: 4, logInterval: 100, checkpoint: [{ type: 'floe', saveEveryNSteps: 3 }] });
    const error = await runJob(recipe, { logger: captureLogger() }).then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NonFiniteError, String(error));
    assert.equal(error.step, 7);
    assert.equal(error.what, 'loss');
    const good = path.join(dir, 'checkpoints', 'step-000006');
    assert.equal(
      error.message,
      `Non-finite loss (NaN) at step 7. Training stopped without saving a checkpoint after it; the last good checkpoint is ${good}. ` +
        'Try a lower learning rate or gradient clipping (maxGradNorm), or set nonFinite: skip to skip such updates.',
    );
    assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')).sort(), ['step-000003', 'step-000006']);
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed');
    assert.equal(status.step, 7, 'caught at the bad step itself, not at the next save');
    assert.equal(status.error, error.message);
    assert.equal(status.checkpoint, good);
    assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
  });

  it('with nonFinite: skip, skips the bad update with a warning naming the step and trains on', async () => {
    const lines: string[] = [];
    const result = await runJob(tinyRecipe(dir, { type: 'tiny-nan-at-7', epochs: 4, logInterval: 100, nonFinite: 'skip' }), { logger: captureLogger(lines) });
    assert.equal(result.status, 'finished');
    assert.equal(result.globalStep, 32);
    assert.deepEqual(lines.filter((l) => l.startsWith('warn:')), ['warn: step 7: non-finite gradient norm; update skipped (nonFinite: skip)']);
    assert.ok(Number.isFinite(result.metrics['eval/loss']), `eval loss ${result.metrics['eval/loss']}`);
  });

  it('with nonFinite: skip, fails the run when more updates in a row than nonFiniteSkipLimit are skipped', async () => {
    const lines: string[] = [];
    // From step 7 on, every loss is NaN: nothing would train again.
    const recipe = tinyRecipe(dir, { type: 'tiny-nan-from-7', epochs: 4, logInterval: 100, nonFinite: 'skip', nonFiniteSkipLimit: 3, checkpoint: [{ type: 'floe', saveEveryNSteps: 5 }] });
    const error = await runJob(recipe, { logger: captureLogger(lines) }).then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NonFiniteSkipsError, String(error));
    assert.equal(error.skipped, 4);
    assert.equal(error.step, 10);
    assert.match(error.message, /^4 updates in a row \(steps 7 to 10\) had a non-finite gradient norm and were skipped \(nonFinite: skip\): the weights have not changed since step 6, so training is not progressing\. Stopped; the last checkpoint is .*step-000005\./);
    assert.equal(lines.filter((l) => l.includes('update skipped')).length, 4);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')).state, 'failed');
    // The limit counts skips in a row: one bad step among good ones never reaches it.
    fs.rmSync(dir, { recursive: true, force: true });
    const once = await runJob(tinyRecipe(dir, { type: 'tiny-nan-at-7', epochs: 4, logInterval: 100, nonFinite: 'skip', nonFiniteSkipLimit: 1 }), { logger: captureLogger() });
    assert.equal(once.status, 'finished');
  });

  it('checks without blocking: a settled probe is seen by check(), settle() waits for pending ones', async () => {
    const guard = new NonFiniteGuard(() => undefined);
    const ok = tf.scalar(1);
    const inf = tf.scalar(Infinity);
    try {
      guard.watch('loss', ok, 1);
      guard.watch('gradient norm', inf, 2);
      await guard.settle().then(
        () => assert.fail('settle should throw'),
        (e: NonFiniteError) => assert.match(e.message, /^Non-finite gradient norm \(Infinity\) at step 2\. .*no checkpoint had been saved yet/),
      );
      assert.throws(() => guard.check(), NonFiniteError);
      assert.equal(await guard.isFinite(ok), true);
      assert.equal(await guard.isFinite(inf), false);
    } finally {
      tf.dispose([ok, inf]);
    }
  });
});
