import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Logger, microBatchGradients, register, runJob, TrainingError } from '../../src';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

describe('a step() override', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-step-watch-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (type: string): Promise<unknown> =>
    runJob({ type, backend: 'cpu', distributed: 'none', microBatchSize: 8, outputDir: path.join(dir, type), checkpoint: [] }, { logger: new Logger({ sink: () => undefined }) });

  it("that forgets to await super.step(batch) fails at the first step naming the class and the fix (was: an unhandled 'reading backend' crash)", async () => {
    class NoAwaitTrainer extends TinyTrainer {
      static override readonly type = 'no-await';
      override async step(batch: TinyBatch): Promise<void> {
        void super.step(batch);
      }
    }
    register(NoAwaitTrainer);
    const before = tf.memory().numTensors;
    await assert.rejects(run('no-await'), (e: Error) => {
      assert.ok(e instanceof TrainingError, String(e));
      assert.equal(e.message, "NoAwaitTrainer.step() returned while super.step(batch) was still running: write 'await super.step(batch)' (the batch is disposed as soon as step() returns)");
      return true;
    });
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'no-await', 'status.json'), 'utf8')) as { state: string };
    assert.equal(status.state, 'failed');
    assert.equal(tf.memory().numTensors, before, 'the failed run left tensors behind');
  });

  it("an epoch() override that forgets to await super.epoch() fails naming the class and the fix (was: a 'finished' run while the epoch still trained)", async () => {
    class NoAwaitEpochTrainer extends TinyTrainer {
      static override readonly type = 'no-await-epoch';
      override async epoch(): Promise<void> {
        void super.epoch();
      }
    }
    register(NoAwaitEpochTrainer);
    const before = tf.memory().numTensors;
    await assert.rejects(run('no-await-epoch'), (e: Error) => {
      assert.ok(e instanceof TrainingError, String(e));
      assert.equal(e.message, "NoAwaitEpochTrainer.epoch() returned while super.epoch() was still running: write 'await super.epoch()' (the run would end, save and report while the epoch still trains)");
      return true;
    });
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'no-await-epoch', 'status.json'), 'utf8')) as { state: string };
    assert.equal(status.state, 'failed');
    assert.equal(tf.memory().numTensors, before, 'the failed run left tensors behind');
  });

  describe('that never reaches an optimizer step', () => {
    const runLogged = async (type: string): Promise<{ result: { status: string; globalStep: number }; warnings: string[] }> => {
      const warnings: string[] = [];
      const logger = new Logger({ sink: (level, line) => void (level === 'warn' && warnings.push(line)) });
      const result = await runJob({ type, backend: 'cpu', distributed: 'none', microBatchSize: 8, epochs: 2, outputDir: path.join(dir, type), checkpoint: [] }, { logger });
      return { result: result as { status: string; globalStep: number }, warnings };
    };

    it("is warned about once, naming the class and the fix (was: 'done: 0 steps' and no word why)", async () => {
      class SilentTrainer extends TinyTrainer {
        static override readonly type = 'silent';
        override async step(_batch: TinyBatch): Promise<void> {
          // forgot super.step(batch)
        }
      }
      register(SilentTrainer);
      const before = tf.memory().numTensors;
      const { result, warnings } = await runLogged('silent');
      assert.equal(result.globalStep, 0);
      const idle = warnings.filter((w) => w.includes('made no optimizer step'));
      assert.deepEqual(idle, [
        "warn: SilentTrainer.step() ran 8 batches this epoch but made no optimizer step: call 'await super.step(batch)' in SilentTrainer.step() (or update the weights yourself with this.optimizer.applyGradients); until then the model does not train",
      ]);
      assert.equal(tf.memory().numTensors, before, 'the run left tensors behind');
    });

    it('is not warned about when step() skips some batches or updates the weights itself', async () => {
      let calls = 0;
      class SkipMostTrainer extends TinyTrainer {
        static override readonly type = 'skip-most';
        override async step(batch: TinyBatch): Promise<void> {
          if (calls++ % 8 !== 0) return;
          await super.step(batch);
        }
      }
      class OwnLoopTrainer extends TinyTrainer {
        static override readonly type = 'own-loop';
        override async step(batch: TinyBatch): Promise<void> {
          const { loss, grads } = microBatchGradients(() => this.loss(batch), this.trainableParams, 1);
          try {
            this.optimizer.applyGradients(this.model.params, grads, 0.01);
          } finally {
            tf.dispose([loss, ...grads.values()]);
          }
        }
      }
      register(SkipMostTrainer);
      register(OwnLoopTrainer);
      for (const type of ['skip-most', 'own-loop']) {
        const { result, warnings } = await runLogged(type);
        assert.ok(result.status === 'finished', type);
        assert.deepEqual(warnings.filter((w) => w.includes('made no optimizer step')), [], type);
      }
    });
  });

  it('that awaits super.step, or skips a batch without calling it, trains', async () => {
    let skipped = 0;
    class SkippingTrainer extends TinyTrainer {
      static override readonly type = 'skipping';
      override async step(batch: TinyBatch): Promise<void> {
        if (skipped++ % 2 === 0) return;
        await super.step(batch);
      }
    }
    register(SkippingTrainer);
    const result = (await run('skipping')) as { status: string; globalStep: number };
    assert.equal(result.status, 'finished');
    assert.equal(result.globalStep, 4);
  });
});
