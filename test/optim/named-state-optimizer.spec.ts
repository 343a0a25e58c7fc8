import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { CheckpointError, TrainingError } from '../../src/errors';
import { AdamOptimizer, AdamWOptimizer, ParamOptimizer, SgdOptimizer } from '../../src/optim';
import { expectNoLeak } from '../support/tensors';
import { disposeAll, lrAt, makeGrads, makeParams, readAll, throughHost } from './optimizer-fixture';

const makers: Array<[string, () => ParamOptimizer]> = [
  ['AdamWOptimizer', () => new AdamWOptimizer({ weightDecay: 0.1 })],
  ['AdamOptimizer', () => new AdamOptimizer({ weightDecay: 0.1 })],
  ['SgdOptimizer', () => new SgdOptimizer({ momentum: 0.9, nesterov: true, weightDecay: 0.1 })],
];

/** Float32 values of every tensor, for bit-exact comparison. */
function bits(m: Map<string, tf.Tensor>): Record<string, number[]> {
  return Object.fromEntries([...readAll(m)].sort(([a], [b]) => a.localeCompare(b)));
}

/** Applies the fixture's step-k gradients (optionally remapped) and frees them. */
function step(opt: ParamOptimizer, params: Map<string, tf.Variable>, k: number): void {
  const grads = makeGrads(k);
  opt.applyGradients(params, grads, lrAt(k));
  disposeAll(grads);
}

/** A third variable, first trained mid-run. */
function extraParam(): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor([0.3, -0.7])));
}
const extraGrad = (k: number): tf.Tensor => tf.tensor([0.2 * k - 0.1, 0.05 + 0.1 * k]);

for (const [label, make] of makers) {
  describe(`${label} state`, () => {
    it('continues bit-exactly after getState → host copy → setState into a new optimizer', async () => {
      await expectNoLeak(() => {
        const a = make();
        const pa = makeParams();
        for (let k = 0; k < 3; k++) step(a, pa, k);
        const saved = a.getState();
        const copied = throughHost(saved);
        disposeAll(saved);
        const b = make();
        b.setState(copied);
        disposeAll(copied); // b holds its own handles
        const pb = makeParams(readAll(pa));
        assert.equal(b.stepCount, 3);
        for (let k = 3; k < 6; k++) {
          step(a, pa, k);
          step(b, pb, k);
          assert.deepEqual(bits(pb), bits(pa), `params after step ${k + 1}`);
        }
        const [sa, sb] = [a.getState(), b.getState()];
        assert.deepEqual(bits(sb), bits(sa), 'state after resume');
        [sa, sb, pa, pb].forEach(disposeAll);
        a.dispose();
        b.dispose();
      });
    });

    it('keys state by name: reordering the params and grads maps changes nothing', async () => {
      await expectNoLeak(() => {
        const a = make();
        const b = make();
        const pa = makeParams();
        const pb = makeParams();
        const reversed = new Map([...pb].reverse());
        for (let k = 0; k < 4; k++) {
          step(a, pa, k);
          const grads = makeGrads(k);
          b.applyGradients(k % 2 === 0 ? reversed : pb, new Map([...grads].reverse()), lrAt(k));
          disposeAll(grads);
        }
        assert.deepEqual(bits(pb), bits(pa));
        const [sa, sb] = [a.getState(), b.getState()];
        assert.deepEqual(bits(sb), bits(sa));
        [sa, sb, pa, pb].forEach(disposeAll);
        a.dispose();
        b.dispose();
      });
    });

    it('gives a variable seen for the first time fresh state, and it survives a round trip', async () => {
      await expectNoLeak(() => {
        const opt = make();
        const params = makeParams();
        for (let k = 0; k < 3; k++) step(opt, params, k);
        // 'extra' first trained at global step 4 must behave as a fresh optimizer's first step.
        const extra = extraParam();
        const fresh = make();
        const freshParam = extraParam();
        const grads = makeGrads(3);
        const g = extraGrad(3);
        opt.applyGradients(new Map([...params, ['extra', extra]]), new Map([...grads, ['extra', g]]), lrAt(3));
        fresh.applyGradients(new Map([['extra', freshParam]]), new Map([['extra', g]]), lrAt(3));
        assert.deepEqual(Array.from(extra.dataSync()), Array.from(freshParam.dataSync()));
        // Its own update count is saved where it differs from the global step.
        const state = opt.getState();
        assert.deepEqual(Array.from(state.get('extra/step')?.dataSync() ?? []), [1]);
        assert.equal(state.has('layer.weight/step'), false);
        const resumed = make();
        resumed.setState(state);
        const extra2 = tf.tidy(() => tf.variable(extra.clone()));
        const g4 = extraGrad(4);
        opt.applyGradients(new Map([['extra', extra]]), new Map([['extra', g4]]), lrAt(4));
        resumed.applyGradients(new Map([['extra', extra2]]), new Map([['extra', g4]]), lrAt(4));
        assert.deepEqual(Array.from(extra2.dataSync()), Array.from(extra.dataSync()));
        [grads, state, params].forEach(disposeAll);
        [extra, extra2, freshParam, g, g4].forEach((t) => t.dispose());
        [opt, fresh, resumed].forEach((o) => o.dispose());
      });
    });

    it('leaves a variable without a gradient (and its state) untouched', async () => {
      await expectNoLeak(() => {
        const opt = make();
        const params = makeParams();
        step(opt, params, 0);
        const before = readAll(params);
        const stateBefore = opt.getState();
        const grads = makeGrads(1);
        const onlyWeight = new Map([['layer.weight', grads.get('layer.weight') as tf.Tensor]]);
        opt.applyGradients(params, onlyWeight, lrAt(1));
        assert.deepEqual(readAll(params).get('layer.bias'), before.get('layer.bias'));
        assert.notDeepEqual(readAll(params).get('layer.weight'), before.get('layer.weight'));
        const stateAfter = opt.getState();
        for (const [key, t] of stateAfter) {
          if (key.startsWith('layer.bias/') && key !== 'layer.bias/step') assert.deepEqual(Array.from(t.dataSync()), Array.from(stateBefore.get(key)?.dataSync() ?? []), key);
        }
        assert.deepEqual(Array.from(stateAfter.get('layer.bias/step')?.dataSync() ?? []), [1]);
        [grads, stateBefore, stateAfter, params].forEach(disposeAll);
        opt.dispose();
      });
    });

    it('keeps tf.memory().numTensors flat over 50 steps', () => {
      const opt = make();
      const params = makeParams();
      step(opt, params, 0); // creates the state
      const flat = tf.memory().numTensors;
      for (let k = 1; k < 50; k++) {
        step(opt, params, k % 7);
        assert.equal(tf.memory().numTensors, flat, `tensor count at step ${k + 1}`);
      }
      opt.dispose();
      disposeAll(params);
    });
  });
}

describe('NamedStateOptimizer', () => {
  it('rejects a gradient without a parameter, before changing anything', async () => {
    await expectNoLeak(() => {
      const opt = new AdamWOptimizer();
      const params = makeParams();
      const before = readAll(params);
      const grads = makeGrads(0);
      grads.set('ghost.weight', tf.zeros([1]));
      assert.throws(() => opt.applyGradients(params, grads, 0.1), (e: unknown) => e instanceof TrainingError && /ghost\.weight/.test(e.message));
      assert.deepEqual(readAll(params), before);
      assert.equal(opt.stepCount, 0);
      [grads, params].forEach(disposeAll);
    });
  });

  it('names the parameter behind a gradient keyed by its tf.Variable name (as tf.variableGrads keys them), and how to key it', () => {
    const opt = new AdamWOptimizer();
    const params = makeParams();
    const bias = params.get('layer.bias') as tf.Variable;
    const grads = new Map([[bias.name, tf.zeros([3])]]);
    assert.throws(
      () => opt.applyGradients(params, grads, 0.1),
      (e: unknown) =>
        e instanceof TrainingError &&
        e.message.includes(`Gradient '${bias.name}' has no matching parameter. '${bias.name}' is the tf.Variable name of parameter 'layer.bias'`) &&
        e.message.includes('keyed by parameter name') &&
        e.message.includes('microBatchGradients') &&
        e.message.endsWith('Parameters: layer.weight, layer.bias.'),
    );
    [grads, params].forEach(disposeAll);
  });

  it('rejects a gradient whose shape differs from its parameter', () => {
    const opt = new SgdOptimizer();
    const params = makeParams();
    const grads = new Map([['layer.bias', tf.zeros([4])]]);
    assert.throws(() => opt.applyGradients(params, grads, 0.1), /Shape of gradient for 'layer.bias'/);
    [grads, params].forEach(disposeAll);
  });

  it('rejects state with unknown keys or without a step', () => {
    const opt = new AdamWOptimizer();
    const bad = new Map([['step', tf.scalar(1, 'int32')], ['w/momentum', tf.zeros([1])]]);
    assert.throws(() => opt.setState(bad), CheckpointError);
    assert.throws(() => opt.setState(new Map()), /no 'step'/);
    disposeAll(bad);
  });
});
