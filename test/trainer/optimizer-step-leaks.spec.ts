import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { Callback, NonFiniteSkipsError, register, runJob } from '../../src';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { expectNoLeak } from '../support/tensors';
import { captureLogger, tempDir, tinyRecipe } from '../callbacks/fixtures/tiny-run';

/** Poisons every loss from optimizer step 3 on, so every update from there is skipped. */
class NanFromStep3Trainer extends TinyTrainer {
  static override readonly type: string = 'tiny-leak-nan-from-3';
  override loss(batch: TinyBatch): tf.Scalar {
    const loss = super.loss(batch);
    return this.globalStep >= 2 ? loss.mul(NaN) : loss;
  }
}

/** Throws from onBeforeOptimizerStep of optimizer step 3. */
class ThrowsBeforeStep3Callback extends Callback {
  static override readonly type = 'test-leak-throws-before-step-3';
  override async onBeforeOptimizerStep(): Promise<void> {
    if (this.trainer.globalStep === 2) throw new Error('hook broke before step 3');
  }
}

describe('Trainer optimizer step', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('step-leaks');
    register(NanFromStep3Trainer);
    register(ThrowsBeforeStep3Callback);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Each run accumulates 2 micro-batches per step, clips (maxGradNorm) and logs every 100 steps,
  // so the failing step holds an averaged gradient, clipped copies and its gradient norm.
  const recipe = (fields: Record<string, unknown>): Record<string, unknown> =>
    tinyRecipe(dir, { gradientAccumulationSteps: 2, maxGradNorm: 1, logInterval: 100, checkpoint: [], ...fields });

  it('frees the step tensors when the skip limit fails the run', async () => {
    await expectNoLeak(
      () => assert.rejects(runJob(recipe({ type: 'tiny-leak-nan-from-3', nonFinite: 'skip', nonFiniteSkipLimit: 1 }), { logger: captureLogger() }), NonFiniteSkipsError),
      'a run failed by nonFiniteSkipLimit',
    );
  });

  it('frees the step tensors when onBeforeOptimizerStep throws', async () => {
    await expectNoLeak(
      () => assert.rejects(runJob(recipe({ callbacks: [{ type: 'test-leak-throws-before-step-3' }] }), { logger: captureLogger() }), /hook broke before step 3/),
      'a run failed in onBeforeOptimizerStep',
    );
  });

  it('frees the step tensors when the optimizer update throws', async () => {
    const onTrainerReady = (trainer: TinyTrainer): void => {
      const apply = trainer.optimizer.applyGradients.bind(trainer.optimizer);
      trainer.optimizer.applyGradients = (...args: Parameters<typeof apply>) => {
        if (trainer.globalStep === 2) throw new Error('update broke at step 3');
        return apply(...args);
      };
    };
    await expectNoLeak(
      () => assert.rejects(runJob(recipe({}), { logger: captureLogger(), onTrainerReady }), /update broke at step 3/),
      'a run failed in applyGradients',
    );
  });
});
