import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Callback, CallbackConfig, Logger, runJob, Trainer } from '../../src';
import { EventLoopTurns } from '../../src/trainer/event-loop-turns';
import '../fixtures/tiny-regression';

/** Sets a 0 ms timer at the first step, and notes at each step whether it has fired. */
class TimerProbe extends Callback {
  fired = false;
  setAt = 0;
  /** ms into training when the timer was first seen fired (Infinity: never). */
  seenAfterMs = Infinity;
  stepsWithTimerPending = 0;
  constructor(trainer: Trainer) {
    super(trainer, new CallbackConfig());
  }
  override async onStepEnd(): Promise<void> {
    if (this.setAt === 0) {
      this.setAt = performance.now();
      setTimeout(() => (this.fired = true), 0);
      return;
    }
    if (!this.fired) this.stepsWithTimerPending++;
    else if (this.seenAfterMs === Infinity) this.seenAfterMs = performance.now() - this.setAt;
    // Enough training to tell: stop after 300 ms.
    if (performance.now() - this.setAt > 300) this.trainer.control.stop('probe done');
  }
}

describe('event loop turns during training', () => {
  it('EventLoopTurns yields to the event loop only once its interval has passed', async () => {
    const turns = new EventLoopTurns(60_000);
    let ran = false;
    setImmediate(() => (ran = true));
    await turns.maybeTurn();
    assert.equal(ran, false, 'within the interval: no turn');
    const every = new EventLoopTurns(0);
    await every.maybeTurn();
    assert.equal(ran, true, 'a turn runs pending immediates');
  });

  it('lets timers fire while training steps run (status writes, callbacks timers, I/O)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-turns-'));
    try {
      let probe: TimerProbe | undefined;
      const result = await runJob(
        { type: 'tiny', epochs: 100_000, microBatchSize: 1, logInterval: 1_000_000, evalInterval: 0, backend: 'cpu', quiet: true, outputDir: dir, checkpoint: [], status: false, tensorboard: false, report: false },
        {
          logger: new Logger({ sink: () => undefined }),
          onTrainerReady: (t) => {
            probe = new TimerProbe(t);
            t.callbackList.callbacks.push(probe);
          },
        },
      );
      assert.equal(result.status, 'stopped');
      assert.ok(probe !== undefined && probe.fired, 'the timer fired during training');
      // Turns come at least every 20 ms of training; allow for a slow machine.
      assert.ok(probe.seenAfterMs < 150, `timer seen ${probe.seenAfterMs.toFixed(1)} ms after it was set (${probe.stepsWithTimerPending} steps later)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
