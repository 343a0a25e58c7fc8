import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Logger, register, runJob } from '../../src';
import { TensorGrowthWatch } from '../../src/trainer/tensor-growth-watch';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

describe('TensorGrowthWatch', () => {
  it('reports growth of at least one tensor per step at three logs in a row spanning 20 steps, once', () => {
    const watch = new TensorGrowthWatch();
    const seen = [0, 10, 20, 30, 40].map((step) => watch.check(step, 100 + step));
    assert.deepEqual(seen.slice(0, 3), [undefined, undefined, undefined]);
    assert.deepEqual(seen[3], { fromStep: 0, toStep: 30, grown: 30 });
    assert.equal(seen[4], undefined, 'warns once');
  });

  it('ignores one-off growth, a buffer filling up early, and slow fluctuation', () => {
    const oneOff = new TensorGrowthWatch();
    assert.ok([100, 140, 140, 140, 140, 140].every((n, i) => oneOff.check(i * 10, n) === undefined));
    const filling = new TensorGrowthWatch();
    assert.ok([100, 101, 102, 103, 104, 104, 104].every((n, i) => filling.check(i + 1, n) === undefined));
    const sub = new TensorGrowthWatch();
    assert.ok([100, 101, 102, 103, 104].every((n, i) => sub.check(i * 10, n) === undefined), 'less than one per step');
  });
});

describe('Trainer tensor leak warning', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-tensor-growth-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function warningsOf(type: string): Promise<string[]> {
    const warnings: string[] = [];
    const logger = new Logger({ sink: (level, line) => void (level === 'warn' && warnings.push(line)) });
    await runJob({ type, backend: 'cpu', distributed: 'none', epochs: 8, microBatchSize: 8, logInterval: 4, outputDir: path.join(dir, type), checkpoint: [] }, { logger });
    return warnings;
  }

  it("warns once, naming the plugin trainer, when step() keeps a tensor every step", async () => {
    const kept: tf.Tensor[] = [];
    class LeakyTrainer extends TinyTrainer {
      static override readonly type = 'leaky';
      override async step(batch: TinyBatch): Promise<void> {
        kept.push(tf.mean(batch.y));
        await super.step(batch);
      }
    }
    register(LeakyTrainer);
    try {
      const warnings = await warningsOf('leaky');
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /^warn: live tensors grew by \d+ over steps 4–\d+ \(about 1 per step\), so something keeps tensors every step: look in LeakyTrainer \(registered at \S+tensor-growth-watch\.spec\.js:\d+\)/);
    } finally {
      tf.dispose(kept);
    }
  });

  it('stays quiet for a trainer that frees what it makes', async () => {
    class TidyTrainer extends TinyTrainer {
      static override readonly type = 'tidy';
    }
    register(TidyTrainer);
    assert.deepEqual(await warningsOf('tidy'), []);
  });
});
