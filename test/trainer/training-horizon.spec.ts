import { strict as assert } from 'assert';
import { Percent } from '../../src/config/human-number';
import { ceilSteps } from '../../src/scheduler/schedule-checks';
import { trainingHorizon, warmupSteps } from '../../src/trainer/training-horizon';

describe('trainingHorizon', () => {
  const base = { batchesPerEpoch: 10, gradientAccumulationSteps: 1, ranks: 1, epochs: 1 };

  it('counts one optimizer step per accumulation cycle of every rank, a partial last cycle included', () => {
    assert.equal(trainingHorizon(base), 10);
    // 10 micro-batches in cycles of 3: 3 + 3 + 3 + 1, so 4 steps an epoch.
    assert.equal(trainingHorizon({ ...base, gradientAccumulationSteps: 3, epochs: 2 }), 8);
    // 2 ranks take 2 micro-batches per cycle of 2: 4 per step, 10 → 3 steps.
    assert.equal(trainingHorizon({ ...base, gradientAccumulationSteps: 2, ranks: 2 }), 3);
  });

  it('caps the run at trainIters, a count or a share of the full length', () => {
    assert.equal(trainingHorizon({ ...base, epochs: 3, trainIters: 7 }), 7);
    assert.equal(trainingHorizon({ ...base, epochs: 3, trainIters: 100 }), 30);
    assert.equal(trainingHorizon({ ...base, epochs: 3, trainIters: new Percent(50) }), 15);
  });
});

describe('warmupSteps', () => {
  it('takes warmupSteps first, else warmupRatio of the horizon rounded up, else none', () => {
    assert.equal(warmupSteps({ warmupSteps: 4, warmupRatio: 0.5 }, 100), 4);
    assert.equal(warmupSteps({ warmupRatio: 0.05 }, 30), 2);
    assert.equal(warmupSteps({}, 30), 0);
  });

  it('rounds a ratio up as the schedules do, ignoring float noise (0.07 × 100 is 7 steps, not 8)', () => {
    assert.equal(0.07 * 100 > 7, true);
    assert.equal(warmupSteps({ warmupRatio: 0.07 }, 100), 7);
    assert.equal(warmupSteps({ warmupRatio: 0.07 }, 100), ceilSteps(0.07 * 100));
    assert.equal(warmupSteps({ warmupRatio: 0.071 }, 100), 8);
  });
});
