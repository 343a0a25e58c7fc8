import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Metrics, MetricsRecord, readJsonl, register, runJob } from '../../src';
import { ThroughputWindow } from '../../src/trainer/throughput-window';
import { TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe } from '../callbacks/fixtures/tiny-run';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ThroughputWindow', () => {
  it('leaves the time of excluded work (evaluation, saves) out of its training seconds, once when nested', async () => {
    const window = new ThroughputWindow();
    await window.excluding(async () => {
      await sleep(150);
      await window.excluding(() => sleep(100));
    });
    assert.ok(window.seconds < 0.1, `${window.seconds}s counted`);
    window.reset();
    await sleep(60);
    assert.ok(window.seconds >= 0.05, `${window.seconds}s after reset`);
  });
});

describe('Logged throughput', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('throughput');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is training throughput: a slow evaluation or save inside a log window does not lower samplesPerSec', async () => {
    class SlowEvalTrainer extends TinyTrainer {
      static override readonly type = 'tiny-slow-eval';
      override async evaluate(): Promise<Metrics> {
        await sleep(400);
        return super.evaluate();
      }
    }
    register(SlowEvalTrainer);
    // 8 steps of 8 samples, logged every 4; an evaluation (400 ms) at step 2 and 6, a save every 2 steps.
    await runJob(
      tinyRecipe(dir, { type: 'tiny-slow-eval', logInterval: 4, evalInterval: 2, evalAtEnd: false, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] }),
      { logger: captureLogger() },
    );
    const train = (await readJsonl<MetricsRecord>(path.join(dir, 'metrics.jsonl'))).filter((r) => r.event === 'train');
    assert.deepEqual(train.map((r) => r.step), [4, 8]);
    // Counting the evaluation, 32 samples took over 0.8 s (< 40 samples/s); training alone is far faster.
    for (const r of train) assert.ok(r.samplesPerSec! > 160, `step ${r.step}: ${r.samplesPerSec} samples/s`);
  });
});
