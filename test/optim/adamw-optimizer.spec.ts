import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { ConfigError } from '../../src/errors';
import { AdamOptimizer, AdamWOptimizer } from '../../src/optim';
import { assertClose, expectNoLeak } from '../support/tensors';
import { disposeAll, FIXTURE, lrAt, makeGrads, makeParams, readAll } from './optimizer-fixture';
import { RefAdamHp, refAdamStep, RefSlot } from './reference-optimizers';

/** Runs `opt` and the reference side by side for 5 steps, comparing params and moments at each. */
function checkAgainstReference(opt: AdamWOptimizer | AdamOptimizer, hp: RefAdamHp, decays: (name: string) => boolean): void {
  const params = makeParams();
  const ref = new Map<string, RefSlot>(FIXTURE.map((f) => [f.name, { p: [...f.init], t: 0 }]));
  for (let k = 0; k < 5; k++) {
    const grads = makeGrads(k);
    opt.applyGradients(params, grads, lrAt(k));
    const gValues = readAll(grads);
    for (const f of FIXTURE) refAdamStep(ref.get(f.name) as RefSlot, gValues.get(f.name) as number[], lrAt(k), hp, decays(f.name));
    disposeAll(grads);
    const state = opt.getState();
    for (const f of FIXTURE) {
      const r = ref.get(f.name) as RefSlot;
      assertClose(params.get(f.name)?.dataSync() ?? [], r.p, 1e-6, `${f.name} after step ${k + 1}`);
      assertClose(state.get(`${f.name}/m`)?.dataSync() ?? [], r.m ?? [], 1e-6, `${f.name}/m after step ${k + 1}`);
      assertClose(state.get(`${f.name}/v`)?.dataSync() ?? [], r.v ?? [], 1e-6, `${f.name}/v after step ${k + 1}`);
    }
    assert.deepEqual(Array.from(state.get('step')?.dataSync() ?? []), [k + 1]);
    disposeAll(state);
  }
  assert.equal(opt.stepCount, 5);
  opt.dispose();
  disposeAll(params);
}

describe('AdamWOptimizer', () => {
  it('matches reference AdamW math (decoupled decay, bias correction) at every step', async () => {
    await expectNoLeak(() => {
      const opt = new AdamWOptimizer({ betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 });
      // Default decay filter: the weight is decayed, the bias is not.
      checkAgainstReference(opt, { beta1: 0.8, beta2: 0.95, eps: 1e-6, wd: 0.1, decoupled: true }, (n) => n === 'layer.weight');
    });
  });

  it('decays weights decoupled from the gradient: zero gradients shrink p by (1 - lr*wd) only', async () => {
    await expectNoLeak(() => {
      const opt = new AdamWOptimizer({ weightDecay: 0.5 });
      const params = makeParams();
      const zeros = new Map([...params].map(([n, p]) => [n, tf.zerosLike(p) as tf.Tensor]));
      opt.applyGradients(params, zeros, 0.1);
      assertClose(params.get('layer.weight')?.dataSync() ?? [], FIXTURE[0].init.map((x) => x * (1 - 0.1 * 0.5)), 1e-7, 'weight');
      assert.deepEqual(Array.from(params.get('layer.bias')?.dataSync() ?? []), Array.from(new Float32Array(FIXTURE[1].init)));
      disposeAll(zeros);
      disposeAll(params);
      opt.dispose();
    });
  });

  it('decays every variable when the filter says so', async () => {
    await expectNoLeak(() => {
      const opt = new AdamWOptimizer({ weightDecay: 0.2, decayFilter: () => true });
      checkAgainstReference(opt, { beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.2, decoupled: true }, () => true);
    });
  });

  it('rejects invalid options, listing every problem', () => {
    assert.throws(
      () => new AdamWOptimizer({ betas: [1.2, 0.9], eps: -1, weightDecay: -0.1 }),
      (e: unknown) => e instanceof ConfigError && e.issues.map((i) => i.path).join() === 'betas[0],eps,weightDecay',
    );
    // As the recipe's eps: 0 would make a weight whose gradient is still 0 NaN (0 / (0 + 0)).
    assert.throws(() => new AdamWOptimizer({ eps: 0 }), /eps: must be a finite number > 0, got 0/);
  });
});

describe('AdamOptimizer', () => {
  it('matches reference Adam math (L2 decay added to the gradient) at every step', async () => {
    await expectNoLeak(() => {
      const opt = new AdamOptimizer({ betas: [0.85, 0.99], eps: 1e-7, weightDecay: 0.3 });
      checkAgainstReference(opt, { beta1: 0.85, beta2: 0.99, eps: 1e-7, wd: 0.3, decoupled: false }, (n) => n === 'layer.weight');
    });
  });

  it('matches reference Adam math without weight decay (PyTorch defaults)', async () => {
    await expectNoLeak(() => {
      checkAgainstReference(new AdamOptimizer(), { beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0, decoupled: false }, () => false);
    });
  });
});
