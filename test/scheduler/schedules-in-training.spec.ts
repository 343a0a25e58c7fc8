import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Callback, CallbackConfig, Logger, Metrics, runJob, Trainer } from '../../src';
import '../fixtures/tiny-regression';

/** Records the lr of every optimizer step. */
class LrRecorder extends Callback {
  constructor(trainer: Trainer, private readonly lrs: number[]) {
    super(trainer, new CallbackConfig());
  }
  override async onLog(metrics: Metrics): Promise<void> {
    this.lrs[metrics.step - 1] = metrics.lr;
  }
}

const PEAK = 0.01;
// 64 examples in micro-batches of 8 over 2 epochs: T = 16 optimizer steps.
const T = 16;

async function trainedLrs(scheduler: Record<string, unknown>): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-sched-'));
  const lrs: number[] = [];
  try {
    await runJob(
      { type: 'tiny', epochs: 2, microBatchSize: 8, logInterval: 1, backend: 'cpu', quiet: true, outputDir: dir, checkpoint: [], optimizer: { type: 'sgd', lr: PEAK }, scheduler },
      { logger: new Logger({ sink: () => undefined }), onTrainerReady: (t) => void t.callbackList.callbacks.push(new LrRecorder(t, lrs)) },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(lrs.length, T);
  return lrs;
}

function expectLrs(got: number[], want: (s: number) => number): void {
  got.forEach((lr, s) => assert.ok(Math.abs(lr - want(s)) <= 1e-15, `step index ${s}: got ${lr}, want ${want(s)}`));
}

describe('schedules in a training run (step index = optimizer steps taken, horizon from the data)', () => {
  it('warmupRatio 0.2 of 16 steps is ceil(3.2) = 4 warmup steps; cosine reaches minLrRatio at step 16, never taken', async () => {
    const W = 4;
    const min = 0.1 * PEAK;
    const lrs = await trainedLrs({ type: 'cosine', warmupRatio: 0.2, minLrRatio: 0.1 });
    expectLrs(lrs, (s) => (s < W ? (PEAK * (s + 1)) / W : min + ((PEAK - min) * (1 + Math.cos((Math.PI * (s - W)) / (T - W)))) / 2));
    assert.equal(lrs[0], PEAK / 4, 'the first step trains at peak/W');
    assert.equal(lrs[W - 1], PEAK, 'warmup ends at the peak');
    assert.ok(lrs[T - 1] > min, 'the last step is still above the floor');
  });

  it('linear, wsd, constant and inverse-sqrt follow their closed forms over the run', async () => {
    expectLrs(await trainedLrs({ type: 'linear', warmupSteps: 2 }), (s) => (s < 2 ? (PEAK * (s + 1)) / 2 : PEAK * (1 - (s - 2) / (T - 2))));
    // wsd: decayRatio 0.25 of 16 = 4 decay steps from step 12; warmup 2.
    expectLrs(await trainedLrs({ type: 'wsd', warmupSteps: 2, decayRatio: 0.25, minLrRatio: 0.5 }), (s) => (s < 2 ? (PEAK * (s + 1)) / 2 : s < 12 ? PEAK : PEAK * (0.5 + 0.5 * (1 - (s - 12) / 4))));
    expectLrs(await trainedLrs({ type: 'constant', warmupSteps: 3 }), (s) => (s < 3 ? (PEAK * (s + 1)) / 3 : PEAK));
    expectLrs(await trainedLrs({ type: 'inverse-sqrt', warmupSteps: 4 }), (s) => (s < 4 ? (PEAK * (s + 1)) / 4 : PEAK / Math.sqrt(s / 4)));
  });
});
