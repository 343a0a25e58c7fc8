import { strict as assert } from 'assert';
import { ConfigError, Trainer, WsdSchedulerConfig, WsdSchedulerFactory } from '../../src';

/** What the schedule factory reads of its trainer. */
function trainerWith(horizon: number, warmup: number): Trainer {
  return { trainingHorizon: horizon, warmupSteps: warmup, config: { optimizer: { lr: 1e-3 } } } as unknown as Trainer;
}

function wsd(fields: Record<string, unknown>): WsdSchedulerConfig {
  return Object.assign(new WsdSchedulerConfig(), { type: 'wsd', ...fields });
}

describe('WsdSchedulerFactory at setup', () => {
  const refuses = (config: WsdSchedulerConfig, run: { horizon: number; warmup: number }, path: string, message: RegExp): void => {
    assert.throws(
      () => new WsdSchedulerFactory(trainerWith(run.horizon, run.warmup), config).createSchedule(),
      (e: unknown) => e instanceof ConfigError && e.issues[0].path === path && message.test(e.issues[0].message) && !/totalSteps/.test(e.message),
    );
  };

  it("refuses a warmup and decay that together outlast training, naming the recipe's setting and the run's length", () => {
    refuses(wsd({ warmupSteps: 20, decayRatio: 0.5 }), { horizon: 26, warmup: 20 }, 'scheduler.decayRatio', /^warmup \(20 steps\) \+ decay \(13 steps: decayRatio 0\.5 of 26\) is longer than training \(26 optimizer steps\)/);
    refuses(wsd({ warmupSteps: 20, decaySteps: 10 }), { horizon: 26, warmup: 20 }, 'scheduler.decaySteps', /decay \(10 steps: decaySteps 10\)/);
    refuses(wsd({ warmupSteps: 25 }), { horizon: 26, warmup: 25 }, 'scheduler.warmupSteps', /decay \(3 steps: decayRatio 0\.1 \(the default\) of 26\)/);
    // One step is 'step', not 'steps'.
    refuses(wsd({ warmupSteps: 1, decaySteps: 1 }), { horizon: 1, warmup: 1 }, 'scheduler.decaySteps', /^warmup \(1 step\) \+ decay \(1 step: decaySteps 1\) is longer than training \(1 optimizer step\);/);
  });

  it('builds the schedule when the phases fit, and leaves a warmup alone too long to the warmup check', () => {
    const schedule = new WsdSchedulerFactory(trainerWith(26, 20), wsd({ warmupSteps: 20, decaySteps: 6 })).createSchedule();
    assert.equal(schedule(19), 1e-3);
    assert.equal(schedule(26), 0);
    assert.throws(
      () => new WsdSchedulerFactory(trainerWith(26, 30), wsd({ warmupSteps: 30 })).createSchedule(),
      (e: unknown) => e instanceof ConfigError && e.issues[0].path === 'scheduler.warmupSteps' && /warmup of 30 steps is longer than training/.test(e.message),
    );
    assert.throws(
      () => new WsdSchedulerFactory(trainerWith(1, 2), wsd({ warmupSteps: 2 })).createSchedule(),
      (e: unknown) => e instanceof ConfigError && /warmup of 2 steps is longer than training \(1 optimizer step\)/.test(e.message),
    );
  });
});
