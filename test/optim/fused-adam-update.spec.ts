import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { ADAM_UPDATE_KERNEL } from '../../src/backend/native';
import { AdamOptimizer, AdamWOptimizer } from '../../src/optim';
import type { AdamFamilyOptimizer } from '../../src/optim/adam-family-optimizer';
import { adamUpdate, canFuseAdamUpdate, fusedAdamUpdate } from '../../src/optim/adam-update';
import { Rng } from '../../src/random';
import { numDataIds, randomValues, useWasmBackend } from '../backend/backend-fixture';
import { countingFusedAdamCalls, withoutFusedAdam } from '../backend/native/fused-adamw-fixture';
import { requireNativeKernels } from '../backend/native/native-fixture';
import { assertClose, expectNoLeak } from '../support/tensors';
import { disposeAll, throughHost } from './optimizer-fixture';

/** Awkward shapes (vector tails, one element); `*.bias` is not decayed by the default filter. */
const SHAPES: Record<string, number[]> = { 'a.weight': [7, 13], 'a.bias': [13], 'b.weight': [1, 1], 'c.weight': [3, 5, 33], 'late.weight': [17] };
/** Joins at step 3, so its own update count (bias correction) lags the global step. */
const LATE = 'late.weight';
const lrAt = (k: number): number => 0.01 * (1 + 0.3 * k);

function makeParams(names: string[]): Map<string, tf.Variable> {
  return new Map(names.map((name, i) => [name, tf.tidy(() => tf.variable(tf.tensor(randomValues(new Rng(10 + i), tf.util.sizeFromShape(SHAPES[name])), SHAPES[name])))]));
}

/** Gradients of step k: every param but `a.bias` at step 4 (a variable without a gradient keeps its state). */
function gradsAt(params: Map<string, tf.Variable>, k: number): Map<string, tf.Tensor> {
  const rng = new Rng(100 + k);
  const names = [...params.keys()].filter((n) => !(k === 3 && n === 'a.bias'));
  return new Map(names.map((n) => [n, tf.tensor(randomValues(rng, tf.util.sizeFromShape(SHAPES[n])), SHAPES[n])]));
}

/** Values of the params and of every state entry, after each step. */
type Snapshot = Map<string, number[]>;

function snapshot(params: Map<string, tf.Variable>, opt: AdamFamilyOptimizer): Snapshot {
  const out: Snapshot = new Map([...params].map(([n, p]) => [n, Array.from(p.dataSync())]));
  const state = opt.getState();
  for (const [k, t] of state) out.set(`state:${k}`, Array.from(t.dataSync()));
  disposeAll(state);
  return out;
}

/** Five steps on the current backend (LATE joins at step 3); the snapshots after each. */
function run(make: () => AdamFamilyOptimizer): Snapshot[] {
  const opt = make();
  const params = makeParams(Object.keys(SHAPES).filter((n) => n !== LATE));
  const snaps: Snapshot[] = [];
  try {
    for (let k = 0; k < 5; k++) {
      if (k === 2) params.set(LATE, makeParams([LATE]).get(LATE) as tf.Variable);
      const grads = gradsAt(params, k);
      opt.applyGradients(params, grads, lrAt(k));
      disposeAll(grads);
      snaps.push(snapshot(params, opt));
    }
  } finally {
    opt.dispose();
    disposeAll(params);
  }
  return snaps;
}

function assertSnapshotsClose(actual: Snapshot[], expected: Snapshot[], tol: number, label: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((snap, k) => {
    assert.deepEqual([...snap.keys()].sort(), [...expected[k].keys()].sort(), `${label}: keys after step ${k + 1}`);
    for (const [key, values] of snap) assertClose(values, expected[k].get(key) ?? [], tol, `${label}: ${key} after step ${k + 1}`);
  });
}

const OPTIMIZERS: Array<{ label: string; make: () => AdamFamilyOptimizer }> = [
  { label: 'AdamW', make: () => new AdamWOptimizer({ betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 }) },
  { label: 'Adam with L2', make: () => new AdamOptimizer({ betas: [0.85, 0.99], eps: 1e-7, weightDecay: 0.3 }) },
  { label: 'AdamW decaying everything', make: () => new AdamWOptimizer({ weightDecay: 0.2, decayFilter: () => true }) },
  { label: 'Adam without decay', make: () => new AdamOptimizer() },
];

describe('fused Adam update (wasm, native)', () => {
  useWasmBackend();
  requireNativeKernels();

  it('updates all variables in one kernel call instead of per-variable ops', async () => {
    assert.ok(canFuseAdamUpdate());
    const opt = new AdamWOptimizer({ weightDecay: 0.1 });
    const params = makeParams(['a.weight', 'a.bias', 'c.weight']);
    const grads = gradsAt(params, 0);
    try {
      const profile = await tf.profile(() => opt.applyGradients(params, grads, 0.01));
      assert.deepEqual(profile.kernelNames, [ADAM_UPDATE_KERNEL]);
      assert.equal(profile.kernels.length, 1);
    } finally {
      opt.dispose();
      disposeAll(grads);
      disposeAll(params);
    }
  });

  for (const { label, make } of OPTIMIZERS) {
    it(`${label}: equals the op-by-op path on wasm and cpu (decay per variable, first step, a late variable's own step count)`, async () => {
      const { result: fused, calls } = await countingFusedAdamCalls(() => run(make));
      assert.equal(calls, 5, 'one fused call per step');
      const composite = await withoutFusedAdam(() => run(make));
      assertSnapshotsClose(fused, composite, 1e-6, `${label} fused vs wasm ops`);
      // The late variable keeps its own step in the state, exactly as on the op-by-op path.
      assert.deepEqual(fused[4].get(`state:${LATE}/step`), [3]);
      assert.deepEqual(fused[4].get(`state:a.bias/step`), [4]);
      await tf.setBackend('cpu');
      try {
        assertSnapshotsClose(fused, run(make), 1e-6, `${label} fused vs cpu`);
      } finally {
        await tf.setBackend('wasm');
      }
    });
  }

  it('keeps tensor and buffer counts flat, frees the old state and never writes into its inputs', async () => {
    await expectNoLeak(() => {
      const opt = new AdamWOptimizer({ weightDecay: 0.1 });
      const params = makeParams(['a.weight', 'a.bias', 'b.weight']);
      let counts: number[] | undefined;
      for (let k = 0; k < 6; k++) {
        const grads = gradsAt(params, k);
        // Clones share buffers with the params and the state (zero-copy Identity): they must keep their values.
        const held = new Map([...params].map(([n, p]) => [n, tf.clone(p)]));
        const state = opt.getState();
        const before = [...held, ...state].map(([n, t]) => [n, Array.from(t.dataSync())] as const);
        opt.applyGradients(params, grads, lrAt(k));
        for (const [n, values] of before) assert.deepEqual(Array.from((held.get(n) ?? state.get(n))?.dataSync() ?? []), values, `${n} held across step ${k + 1}`);
        disposeAll(held);
        disposeAll(state);
        disposeAll(grads);
        const now = [tf.memory().numTensors, numDataIds()];
        if (k > 0) assert.deepEqual(now, counts, `tensors and buffers after step ${k + 1}`);
        counts = now;
      }
      opt.dispose();
      disposeAll(params);
    });
  });

  it('round-trips its state through a checkpoint and continues exactly like the uninterrupted run', async () => {
    const make = (): AdamWOptimizer => new AdamWOptimizer({ weightDecay: 0.1 });
    const names = Object.keys(SHAPES);
    const a = make();
    const b = make();
    const pa = makeParams(names);
    const pb = makeParams(names);
    try {
      for (let k = 0; k < 3; k++) {
        const grads = gradsAt(pa, k);
        a.applyGradients(pa, grads, lrAt(k));
        disposeAll(grads);
      }
      for (const [n, p] of pa) (pb.get(n) as tf.Variable).assign(p);
      const saved = throughHost(a.getState());
      b.setState(saved);
      disposeAll(saved);
      // One side continues on the op-by-op path: the restored state must mean the same to both.
      for (let k = 3; k < 5; k++) {
        const grads = gradsAt(pa, k);
        a.applyGradients(pa, grads, lrAt(k));
        await withoutFusedAdam(() => b.applyGradients(pb, grads, lrAt(k)));
        disposeAll(grads);
      }
      const [sa, sb] = [snapshot(pa, a), snapshot(pb, b)];
      assertSnapshotsClose([sa], [sb], 1e-6, 'restored vs uninterrupted');
      assert.deepEqual(sa.get('state:step'), [5]);
      assert.deepEqual(sa.get('state:a.bias/step'), [4]);
    } finally {
      a.dispose();
      b.dispose();
      disposeAll(pa);
      disposeAll(pb);
    }
  });

  it('multiplies the gradients by a scale first, as clipping by global norm does with one Multiply per gradient', async () => {
    await expectNoLeak(() => {
      const rng = new Rng(7);
      const [value, grad, m] = [0, 1, 2].map(() => tf.tensor(randomValues(rng, 23)));
      const v = tf.tensor(randomValues(rng, 23).map((x) => x * x));
      const scale = tf.scalar(0.37);
      const hp = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8 };
      for (const decay of ['decoupled', 'l2'] as const) {
        const [fused, composite] = tf.tidy(() => {
          const [out] = fusedAdamUpdate({ variables: [{ value, grad, m, v, step: 3, decay: true }], ...hp, decay, weightDecay: 0.2, gradScale: scale });
          const g = grad.mul(scale);
          const ref = adamUpdate({
            value: decay === 'decoupled' ? value.mul(1 - hp.lr * 0.2) : value,
            grad: decay === 'l2' ? g.add(value.mul(0.2)) : g,
            m,
            v,
            step: 3,
            ...hp,
          });
          return [[out.value, out.m, out.v].map((t) => t.dataSync()), [ref.value, ref.m, ref.v].map((t) => t.dataSync())];
        });
        fused.forEach((x, i) => assertClose(x, composite[i], 1e-6, `${decay} output ${i}`));
      }
      tf.dispose([value, grad, m, v, scale]);
    });
  });
});
