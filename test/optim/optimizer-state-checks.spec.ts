import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { CheckpointError } from '../../src/errors';
import { AdamWOptimizer, OptimizerStateError, SgdOptimizer } from '../../src/optim';
import { expectNoLeak } from '../support/tensors';
import { disposeAll, lrAt, makeGrads, makeParams, readAll } from './optimizer-fixture';

/** An AdamW optimizer after two steps on the fixture, its params and a copy of its state. */
function trained(): { opt: AdamWOptimizer; params: Map<string, tf.Variable>; state: Map<string, tf.Tensor> } {
  const opt = new AdamWOptimizer({ weightDecay: 0.1 });
  const params = makeParams();
  for (let k = 0; k < 2; k++) {
    const grads = makeGrads(k);
    opt.applyGradients(params, grads, lrAt(k));
    disposeAll(grads);
  }
  return { opt, params, state: opt.getState() };
}

/** `state` without `key` (the removed tensor is disposed). */
function without(state: Map<string, tf.Tensor>, key: string): Map<string, tf.Tensor> {
  state.get(key)?.dispose();
  state.delete(key);
  return state;
}

describe('NamedStateOptimizer.setState checks', () => {
  it('refuses a parameter with m but not v, or v but not m, naming the parameter and the slots', async () => {
    await expectNoLeak(() => {
      const { opt, params, state } = trained();
      const noV = without(state, 'layer.bias/v');
      const fresh = new AdamWOptimizer();
      assert.throws(
        () => fresh.setState(noV, { params }),
        (e: unknown) => {
          assert.ok(e instanceof OptimizerStateError && e instanceof CheckpointError, String(e));
          assert.equal(
            e.message,
            "Optimizer state is inconsistent: parameter 'layer.bias' has slot 'm' but is missing 'v'. This optimizer keeps slots 'm', 'v', each of its parameter's shape, for every parameter it has updated.",
          );
          return true;
        },
      );
      // The same without params (no shape check): completeness does not need them.
      assert.throws(() => fresh.setState(noV), /parameter 'layer\.bias' has slot 'm' but is missing 'v'/);
      disposeAll(noV);
      const other = opt.getState();
      const noM = without(other, 'layer.weight/m');
      assert.throws(() => fresh.setState(noM, { params }), /parameter 'layer\.weight' has slot 'v' but is missing 'm'/);
      disposeAll(noM);
      [opt, fresh].forEach((o) => o.dispose());
      disposeAll(params);
    });
  });

  it('refuses a slot whose shape is not its parameter\'s, and lists every problem', async () => {
    await expectNoLeak(() => {
      const { opt, params, state } = trained();
      const m = state.get('layer.weight/m') as tf.Tensor;
      state.set('layer.weight/m', m.reshape([3, 2]));
      m.dispose();
      without(state, 'layer.bias/m');
      const fresh = new AdamWOptimizer();
      assert.throws(
        () => fresh.setState(state, { params }),
        (e: unknown) => {
          assert.ok(e instanceof OptimizerStateError, String(e));
          assert.match(e.message, /^Optimizer state is inconsistent \(2 problems\): /);
          assert.match(e.message, /slot 'm' of parameter 'layer\.weight' has shape \[3, 2\], expected the parameter's \[2, 3\]/);
          assert.match(e.message, /parameter 'layer\.bias' has slot 'v' but is missing 'm'/);
          return true;
        },
      );
      disposeAll(state);
      // The state of a name that is not among the params is not shape-checked (a removed variable's state is kept).
      const complete = opt.getState();
      const w = complete.get('layer.weight/v') as tf.Tensor;
      complete.set('layer.weight/v', w.reshape([6]));
      w.dispose();
      fresh.setState(complete, { params: new Map([['layer.bias', params.get('layer.bias') as tf.Variable]]) });
      assert.equal(fresh.stepCount, 2);
      disposeAll(complete);
      [opt, fresh].forEach((o) => o.dispose());
      disposeAll(params);
    });
  });

  it('leaves its own state untouched when it refuses one', async () => {
    await expectNoLeak(() => {
      const { opt, params, state } = trained();
      const before = readAll(state);
      const other = trained();
      const broken = without(other.state, 'layer.bias/v');
      assert.throws(() => opt.setState(broken, { params }), OptimizerStateError);
      const after = opt.getState();
      assert.deepEqual(readAll(after), before);
      assert.equal(opt.stepCount, 2);
      [state, after, broken, params, other.params].forEach(disposeAll);
      [opt, other.opt].forEach((o) => o.dispose());
    });
  });

  it('takes a state with no slots at all (saved before the first step) and starts each variable fresh', async () => {
    await expectNoLeak(() => {
      const params = makeParams();
      const freshParams = makeParams();
      const opt = new AdamWOptimizer({ weightDecay: 0.1 });
      const fresh = new AdamWOptimizer({ weightDecay: 0.1 });
      const onlyStep = new Map<string, tf.Tensor>([['step', tf.scalar(5, 'int32')]]);
      opt.setState(onlyStep, { params });
      assert.equal(opt.stepCount, 5);
      const grads = makeGrads(0);
      opt.applyGradients(params, grads, lrAt(0));
      fresh.applyGradients(freshParams, grads, lrAt(0));
      assert.deepEqual(readAll(params), readAll(freshParams));
      [onlyStep, grads, params, freshParams].forEach(disposeAll);
      [opt, fresh].forEach((o) => o.dispose());
    });
  });

  it("refuses a parameter's own step count without its m and v, naming the parameter, the key and the slots", async () => {
    await expectNoLeak(() => {
      const { opt, params, state } = trained();
      disposeAll(state);
      // A third step without a bias gradient: the bias's own count (2) now differs from the step (3), so it is saved.
      const grads = makeGrads(2);
      opt.applyGradients(params, new Map([['layer.weight', grads.get('layer.weight') as tf.Tensor]]), lrAt(2));
      const kept = without(without(opt.getState(), 'layer.bias/m'), 'layer.bias/v');
      assert.deepEqual([...kept.keys()].sort(), ['layer.bias/step', 'layer.weight/m', 'layer.weight/v', 'step']);
      const fresh = new AdamWOptimizer();
      for (const withParams of [true, false]) {
        assert.throws(
          () => fresh.setState(kept, withParams ? { params } : {}),
          (e: unknown) => {
            assert.ok(e instanceof OptimizerStateError, String(e));
            assert.equal(
              e.message,
              "Optimizer state is inconsistent: parameter 'layer.bias' has its own step count 'layer.bias/step' but none of its slots 'm', 'v'. " +
                "This optimizer keeps slots 'm', 'v', each of its parameter's shape, for every parameter it has updated.",
            );
            return true;
          },
        );
      }
      assert.equal(fresh.stepCount, 0, 'the refused state must not be taken in part');
      [kept, grads, params].forEach(disposeAll);
      [opt, fresh].forEach((o) => o.dispose());
    });
  });

  it('takes a state saved before a parameter ever got a gradient; that parameter then starts fresh', async () => {
    await expectNoLeak(() => {
      const params = makeParams();
      const opt = new AdamWOptimizer({ weightDecay: 0.1 });
      for (let k = 0; k < 2; k++) {
        const grads = makeGrads(k);
        opt.applyGradients(params, new Map([['layer.weight', grads.get('layer.weight') as tf.Tensor]]), lrAt(k));
        disposeAll(grads);
      }
      const state = opt.getState();
      assert.deepEqual([...state.keys()].sort(), ['layer.weight/m', 'layer.weight/v', 'step'], 'no key at all for the bias');
      const resumed = new AdamWOptimizer({ weightDecay: 0.1 });
      resumed.setState(state, { params });
      assert.equal(resumed.stepCount, 2);
      // Its first bias update is a fresh optimizer's first update (bias correction from 1).
      const [bias, freshBias] = [tf.tidy(() => tf.variable(tf.tensor([0.1, -0.4, 0.25]))), tf.tidy(() => tf.variable(tf.tensor([0.1, -0.4, 0.25])))];
      const g = tf.tensor([0.3, -0.2, 0.05]);
      resumed.applyGradients(new Map([['layer.bias', bias]]), new Map([['layer.bias', g]]), lrAt(2));
      const fresh = new AdamWOptimizer({ weightDecay: 0.1 });
      fresh.applyGradients(new Map([['layer.bias', freshBias]]), new Map([['layer.bias', g]]), lrAt(2));
      assert.deepEqual(Array.from(bias.dataSync()), Array.from(freshBias.dataSync()));
      const after = resumed.getState();
      assert.deepEqual(Array.from(after.get('layer.bias/step')?.dataSync() ?? []), [1]);
      [state, after, params].forEach(disposeAll);
      [bias, freshBias, g].forEach((t) => t.dispose());
      [opt, resumed, fresh].forEach((o) => o.dispose());
    });
  });

  it('takes an sgd state without momentum, where a step count alone is all a parameter keeps', async () => {
    await expectNoLeak(() => {
      const params = makeParams();
      const opt = new SgdOptimizer();
      const grads = makeGrads(0);
      opt.applyGradients(params, grads, lrAt(0));
      opt.applyGradients(params, new Map([['layer.weight', grads.get('layer.weight') as tf.Tensor]]), lrAt(1));
      const state = opt.getState();
      assert.deepEqual([...state.keys()].sort(), ['layer.bias/step', 'step']);
      const resumed = new SgdOptimizer();
      resumed.setState(state, { params });
      assert.equal(resumed.stepCount, 2);
      const again = resumed.getState();
      assert.deepEqual(readAll(again), readAll(state));
      [state, again, grads, params].forEach(disposeAll);
      [opt, resumed].forEach((o) => o.dispose());
    });
  });

  it('refuses step counts no run writes (negative, fractional, a parameter\'s above the step), non-float32 slots and a negative v; they loaded, and gave NaN updates', async () => {
    await expectNoLeak(() => {
      const { opt, params, state } = trained();
      const fresh = new AdamWOptimizer();
      const refuses = (edit: (s: Map<string, tf.Tensor>) => void, problem: string): void => {
        const edited = opt.getState();
        edit(edited);
        assert.throws(
          () => fresh.setState(edited, { params }),
          (e: unknown) => e instanceof OptimizerStateError && e.message.startsWith(`Optimizer state is inconsistent: ${problem}. `),
        );
        disposeAll(edited);
      };
      const set = (key: string, t: tf.Tensor) => (s: Map<string, tf.Tensor>): void => {
        s.get(key)?.dispose();
        s.set(key, t);
      };
      refuses(set('step', tf.scalar(-3, 'int32')), "'step' is -3, expected an integer >= 0");
      refuses(set('step', tf.scalar(2.5)), "'step' is 2.5, expected an integer >= 0");
      refuses(set('layer.bias/step', tf.scalar(0, 'int32')), "'layer.bias/step' is 0, expected an integer from 1 to 'step' (2)");
      refuses(set('layer.bias/step', tf.scalar(3, 'int32')), "'layer.bias/step' is 3, expected an integer from 1 to 'step' (2)");
      refuses((s) => set('layer.weight/m', (s.get('layer.weight/m') as tf.Tensor).toInt())(s), "slot 'm' of parameter 'layer.weight' is int32, expected float32");
      refuses((s) => set('layer.bias/v', (s.get('layer.bias/v') as tf.Tensor).neg())(s), "slot 'v' of parameter 'layer.bias' has negative values, which it never holds");
      assert.equal(fresh.stepCount, 0);
      // A step count written as a float that is whole still loads (the value is what counts).
      const floatStep = opt.getState();
      set('step', tf.scalar(2))(floatStep);
      fresh.setState(floatStep, { params });
      assert.equal(fresh.stepCount, 2);
      [state, floatStep, params].forEach(disposeAll);
      [opt, fresh].forEach((o) => o.dispose());
    });
  });

  it('checks sgd momentum slots against the parameters too', () => {
    const params = makeParams();
    const opt = new SgdOptimizer({ momentum: 0.9 });
    const state = new Map<string, tf.Tensor>([
      ['step', tf.scalar(1, 'int32')],
      ['layer.bias/momentum', tf.zeros([4])],
    ]);
    assert.throws(() => opt.setState(state, { params }), /slot 'momentum' of parameter 'layer\.bias' has shape \[4\], expected the parameter's \[3\]/);
    [state, params].forEach(disposeAll);
    opt.dispose();
  });
});
