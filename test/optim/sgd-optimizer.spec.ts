import { strict as assert } from 'assert';
import { ConfigError } from '../../src/errors';
import { SgdOptimizer, SgdOptions } from '../../src/optim';
import { assertClose, expectNoLeak } from '../support/tensors';
import { disposeAll, FIXTURE, lrAt, makeGrads, makeParams, readAll } from './optimizer-fixture';
import { RefSgdHp, RefSlot, refSgdStep } from './reference-optimizers';

function checkAgainstReference(options: SgdOptions, hp: RefSgdHp, decays: (name: string) => boolean): void {
  const opt = new SgdOptimizer(options);
  const params = makeParams();
  const ref = new Map<string, RefSlot>(FIXTURE.map((f) => [f.name, { p: [...f.init], t: 0 }]));
  for (let k = 0; k < 5; k++) {
    const grads = makeGrads(k);
    opt.applyGradients(params, grads, lrAt(k));
    const gValues = readAll(grads);
    for (const f of FIXTURE) refSgdStep(ref.get(f.name) as RefSlot, gValues.get(f.name) as number[], lrAt(k), hp, decays(f.name));
    disposeAll(grads);
    const state = opt.getState();
    for (const f of FIXTURE) {
      const r = ref.get(f.name) as RefSlot;
      assertClose(params.get(f.name)?.dataSync() ?? [], r.p, 1e-6, `${f.name} after step ${k + 1}`);
      if (hp.momentum !== 0) assertClose(state.get(`${f.name}/momentum`)?.dataSync() ?? [], r.buf ?? [], 1e-6, `${f.name}/momentum after step ${k + 1}`);
    }
    assert.equal(state.size, hp.momentum === 0 ? 1 : 3, 'state keys');
    disposeAll(state);
  }
  opt.dispose();
  disposeAll(params);
}

describe('SgdOptimizer', () => {
  it('matches reference momentum SGD with dampening and weight decay at every step', async () => {
    await expectNoLeak(() =>
      checkAgainstReference({ momentum: 0.9, dampening: 0.3, weightDecay: 0.05 }, { momentum: 0.9, dampening: 0.3, nesterov: false, wd: 0.05 }, (n) => n === 'layer.weight'),
    );
  });

  it('matches reference Nesterov SGD at every step', async () => {
    await expectNoLeak(() =>
      checkAgainstReference(
        { momentum: 0.8, nesterov: true, weightDecay: 0.1, decayFilter: () => true },
        { momentum: 0.8, dampening: 0, nesterov: true, wd: 0.1 },
        () => true,
      ),
    );
  });

  it('matches plain SGD and keeps no momentum state', async () => {
    await expectNoLeak(() => checkAgainstReference({}, { momentum: 0, dampening: 0, nesterov: false, wd: 0 }, () => false));
  });

  it('rejects Nesterov without momentum or with dampening', () => {
    assert.throws(() => new SgdOptimizer({ nesterov: true }), ConfigError);
    assert.throws(() => new SgdOptimizer({ nesterov: true, momentum: 0.9, dampening: 0.1 }), /nesterov/);
  });
});
