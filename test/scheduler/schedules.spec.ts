import { strict as assert } from 'assert';
import { ConfigError } from '../../src/errors';
import { validateRecipe } from '../../src';
import { constantSchedule, cosineSchedule, inverseSqrtSchedule, linearSchedule, LrSchedule, makeSchedule, wsdSchedule } from '../../src/scheduler';

const PEAK = 1e-3;
const MIN = 1e-4; // minLrRatio 0.1
const T = 100;
const W = 10;

/** Asserts `schedule(step)` equals the closed form at each listed step (to float64 noise). */
function expectAt(schedule: LrSchedule, cases: Array<[number, number]>): void {
  for (const [step, want] of cases) {
    const got = schedule(step);
    assert.ok(Math.abs(got - want) <= 1e-15, `step ${step}: got ${got}, want ${want}`);
  }
}

// Closed forms, written out per phase: warmup (s+1)/W; decay progress p = (s - W)/(T - W).
const warm = (s: number): number => (PEAK * (s + 1)) / W;
const lin = (s: number): number => MIN + (PEAK - MIN) * (1 - Math.min(1, (s - W) / (T - W)));
const cos = (s: number): number => MIN + 0.5 * (PEAK - MIN) * (1 + Math.cos(Math.PI * Math.min(1, (s - W) / (T - W))));

describe('constantSchedule', () => {
  it('warms up from peak/W at step 0 and then holds the peak', () => {
    expectAt(constantSchedule({ peakLr: PEAK, warmupSteps: W }), [[0, PEAK / 10], [4, PEAK / 2], [9, PEAK], [10, PEAK], [10_000, PEAK]]);
    expectAt(constantSchedule({ peakLr: PEAK }), [[0, PEAK], [7, PEAK]]);
  });

  it('resolves warmupRatio against the horizon, rounding up without float noise', () => {
    // 0.07 * 100 is 7.000000000000001 in float64: that is still 7 warmup steps.
    expectAt(constantSchedule({ peakLr: 1, warmupRatio: 0.07, totalSteps: 100 }), [[0, 1 / 7], [6, 1], [5, 6 / 7]]);
    expectAt(constantSchedule({ peakLr: 1, warmupRatio: 0.025, totalSteps: 100 }), [[0, 1 / 3], [2, 1]]);
  });
});

describe('linearSchedule', () => {
  const s = linearSchedule({ peakLr: PEAK, totalSteps: T, warmupSteps: W, minLrRatio: 0.1 });
  it('matches the closed form in warmup, decay and after the horizon', () => {
    expectAt(s, [[0, warm(0)], [5, warm(5)], [9, PEAK], [10, PEAK], [11, lin(11)], [55, lin(55)], [99, lin(99)], [100, MIN], [500, MIN]]);
    assert.ok(s(99) > MIN, 'the last step still gets a non-zero decayed lr');
  });

  it('accepts an absolute minLr and decays to 0 by default', () => {
    expectAt(linearSchedule({ peakLr: 2, totalSteps: 10, minLr: 1 }), [[0, 2], [5, 1.5], [10, 1]]);
    expectAt(linearSchedule({ peakLr: 2, totalSteps: 10 }), [[0, 2], [5, 1], [9, 0.2], [10, 0]]);
  });
});

describe('cosineSchedule', () => {
  it('matches the closed form down to minLrRatio * peakLr', () => {
    const s = cosineSchedule({ peakLr: PEAK, totalSteps: T, warmupRatio: 0.1, minLrRatio: 0.1 });
    expectAt(s, [[0, warm(0)], [9, PEAK], [10, PEAK], [32, cos(32)], [55, (PEAK + MIN) / 2], [77, cos(77)], [100, MIN], [250, MIN]]);
  });
});

describe('wsdSchedule', () => {
  // Warmup 10, stable to step 80, decay over the last 20 steps.
  const base = { peakLr: PEAK, totalSteps: T, warmupSteps: W, minLrRatio: 0.1, decayRatio: 0.2 };
  it('warms up, holds, then decays linearly by default', () => {
    expectAt(wsdSchedule(base), [[0, warm(0)], [9, PEAK], [10, PEAK], [50, PEAK], [79, PEAK], [80, PEAK], [90, (PEAK + MIN) / 2], [95, MIN + (PEAK - MIN) * 0.25], [100, MIN], [120, MIN]]);
  });

  it('supports cosine and 1-sqrt decay shapes and decaySteps', () => {
    expectAt(wsdSchedule({ ...base, decayShape: 'cosine' }), [[85, MIN + 0.5 * (PEAK - MIN) * (1 + Math.cos(Math.PI / 4))]]);
    expectAt(wsdSchedule({ ...base, decayRatio: undefined, decaySteps: 16, decayShape: '1-sqrt' }), [[83, PEAK], [84, PEAK], [88, MIN + (PEAK - MIN) * 0.5], [100, MIN]]);
  });
});

describe('inverseSqrtSchedule', () => {
  it('warms up, then decays as peak * sqrt(W / step)', () => {
    const s = inverseSqrtSchedule({ peakLr: PEAK, warmupSteps: W });
    expectAt(s, [[0, warm(0)], [9, PEAK], [10, PEAK], [40, PEAK / 2], [90, PEAK / 3], [1000, PEAK * Math.sqrt(W / 1000)]]);
  });

  it('uses a 10000-step timescale without warmup (as HF), or the given one', () => {
    expectAt(inverseSqrtSchedule({ peakLr: PEAK }), [[0, PEAK], [30_000, PEAK / 2]]);
    expectAt(inverseSqrtSchedule({ peakLr: PEAK, timescale: 1 }), [[0, PEAK], [3, PEAK / 2]]);
  });
});

describe('makeSchedule', () => {
  it('builds each kind, and a schedule is a pure function of the step (resume-safe)', () => {
    const kinds = ['constant', 'linear', 'cosine', 'wsd', 'inverse-sqrt'] as const;
    for (const kind of kinds) {
      const opts = { kind, peakLr: PEAK, totalSteps: T, warmupSteps: W, minLrRatio: 0.1 };
      const a = makeSchedule(opts);
      const forward = Array.from({ length: 120 }, (_, i) => a(i));
      // A fresh instance queried from the middle (as after a resume), backwards, agrees exactly.
      const b = makeSchedule(opts);
      for (let i = 119; i >= 60; i--) assert.equal(b(i), forward[i], `${kind} step ${i}`);
      assert.ok(forward[0] > 0, `${kind}: first step lr is not 0`);
      assert.ok(forward.every((lr) => lr > 0 && lr <= PEAK), `${kind} within (0, peak]`);
    }
    expectAt(makeSchedule({ kind: 'cosine', peakLr: PEAK, totalSteps: T, warmupSteps: W, minLrRatio: 0.1 }), [[32, cos(32)]]);
  });

  it('names the unknown kind and suggests a close one', () => {
    assert.throws(() => makeSchedule({ kind: 'cosin' } as never), /unknown schedule 'cosin'.*Supported: constant, linear, cosine, wsd, inverse-sqrt\. Did you mean 'cosine'\?/);
  });

  it('reports every invalid option at once', () => {
    assert.throws(
      () => linearSchedule({ peakLr: -1, totalSteps: 10, warmupSteps: 20, minLrRatio: 2 }),
      (e: unknown) => e instanceof ConfigError && e.issues.map((i) => i.path).join() === 'peakLr,warmupSteps,minLrRatio',
    );
    assert.throws(() => constantSchedule({ peakLr: 1, warmupSteps: 2, warmupRatio: 0.1, totalSteps: 10 }), /not both/);
    assert.throws(() => wsdSchedule({ peakLr: 1, totalSteps: 10, warmupSteps: 6, decaySteps: 5 }), /exceeds totalSteps/);
    assert.throws(() => cosineSchedule({ peakLr: 1 } as never), /totalSteps/);
    assert.throws(() => constantSchedule({ peakLr: 1 })(-1), /step must be/);
  });
});

describe('schedule length messages', () => {
  it("say '1 step', not '1 steps' (trainIters 1 with a 5-step warmup)", async () => {
    const recipe = { type: 'causal', data: { type: 'causal', sources: [{ type: 'synthetic' }] }, trainIters: 1, scheduler: { type: 'cosine', warmupSteps: 5 } };
    await assert.rejects(validateRecipe(recipe), (e: unknown) => e instanceof ConfigError && /the warmup is longer than training \(at most 1 step\); lower/.test(e.message));
  });
});

describe('inverse-sqrt timescale in a recipe', () => {
  it("takes a human number like the other step counts ('10k')", async () => {
    const { config } = await validateRecipe({ type: 'causal', data: { type: 'causal', sources: [{ type: 'synthetic' }] }, scheduler: { type: 'inverse-sqrt', timescale: '10k' } });
    assert.equal((config.scheduler as unknown as { timescale: number }).timescale, 10_000);
  });
});
