import { strict as assert } from 'assert';
import { ADAM_DECAY_MODES, type AdamDecayMode, type NativeIsa } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { randomValues } from '../backend-fixture';
import { requireNativeKernels } from './native-fixture';

const f = Math.fround;

/** One variable of a direct addon call, with its float32 values. */
interface Variable {
  param: Float32Array;
  grad: Float32Array;
  m?: Float32Array;
  v?: Float32Array;
  stepSize: number;
  bias2Sqrt: number;
  decay: boolean;
}

interface Hyper {
  beta1: number;
  beta2: number;
  eps: number;
  mode: AdamDecayMode;
  decayValue: number;
  scale?: number;
}

/** The update in float32, one rounding per operation, in the order of src/optim/adam-update.ts. */
function reference(x: Variable, h: Hyper): { p: Float32Array; m: Float32Array; v: Float32Array } {
  const n = x.param.length;
  const out = { p: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    let g = x.grad[i];
    if (h.scale !== undefined) g = f(g * f(h.scale));
    let p = x.param[i];
    if (x.decay && h.mode === 'decoupled') p = f(p * f(h.decayValue));
    if (x.decay && h.mode === 'l2') g = f(g + f(p * f(h.decayValue)));
    const gm = f(g * f(1 - h.beta1));
    const m = x.m === undefined ? gm : f(f(x.m[i] * f(h.beta1)) + gm);
    const gv = f(f(g * g) * f(1 - h.beta2));
    const v = x.v === undefined ? gv : f(f(x.v[i] * f(h.beta2)) + gv);
    const denom = f(f(f(Math.sqrt(v)) / f(x.bias2Sqrt)) + f(h.eps));
    out.p[i] = f(p - f(f(m / denom) * f(x.stepSize)));
    out.m[i] = m;
    out.v[i] = v;
  }
  return out;
}

/** A direct addon call: its arguments, and views of every variable's outputs. */
interface Call {
  heap: Uint8Array | ArrayBuffer;
  table: Float64Array;
  hyper: Float64Array;
  outputs: Float32Array[][];
  buffer: ArrayBufferLike;
}

/** Lays the variables out in one buffer from byte `shift` on (a SharedArrayBuffer when `shared`). */
function layout(vars: Variable[], h: Hyper, shift: number, shared = false): Call {
  const floats = vars.reduce((s, x) => s + 7 * x.param.length, 1);
  const buffer = shared ? new SharedArrayBuffer(shift + 4 * floats) : new ArrayBuffer(shift + 4 * floats);
  let at = shift;
  const place = (values: Float32Array | undefined): number => {
    if (values === undefined) return -1;
    new Float32Array(buffer, at, values.length).set(values);
    at += 4 * values.length;
    return at - 4 * values.length;
  };
  const scaleOffset = h.scale === undefined ? -1 : place(Float32Array.of(h.scale));
  const table: number[] = [];
  const outputs = vars.map((x) => {
    const n = x.param.length;
    const ins = [place(x.param), place(x.grad), place(x.m), place(x.v)];
    const outs = [0, 1, 2].map(() => place(new Float32Array(n).fill(NaN)));
    table.push(...ins, ...outs, n, x.stepSize, x.bias2Sqrt, x.decay ? 1 : 0);
    return outs.map((o) => new Float32Array(buffer, o, n));
  });
  const hyper = Float64Array.of(h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.eps, ADAM_DECAY_MODES[h.mode], h.decayValue, scaleOffset);
  const heap: Uint8Array | ArrayBuffer = shared ? new Uint8Array(buffer) : (buffer as ArrayBuffer);
  return { heap, table: Float64Array.from(table), hyper, outputs, buffer };
}

/** Variables of awkward sizes (vector tails for 8 and 16 lanes, 1 element), some on their first update. */
function variables(rng: Rng): Variable[] {
  return [1, 7, 8, 15, 16, 17, 33, 100, 257].map((n, i) => {
    const step = 1 + (i % 4);
    const first = i % 3 === 0;
    return {
      param: randomValues(rng, n),
      grad: randomValues(rng, n).map((g) => (i === 4 ? g * 1e-3 : g)),
      m: first ? undefined : randomValues(rng, n).map((x) => x * 0.1),
      v: first ? undefined : randomValues(rng, n).map((x) => x * x * 0.01),
      stepSize: 1e-3 / (1 - Math.pow(0.9, step)),
      bias2Sqrt: Math.sqrt(1 - Math.pow(0.999, step)),
      decay: i % 2 === 0,
    };
  });
}

describe('fused AdamW addon', () => {
  const addon = requireNativeKernels();

  it('matches the float32 reference bit for bit: every decay mode, scale, odd sizes, misaligned offsets, both ISAs', () => {
    const rng = new Rng(3);
    const vars = variables(rng);
    const isa = addon().info().isa;
    const hypers: Hyper[] = [
      { beta1: 0.9, beta2: 0.999, eps: 1e-8, mode: 'decoupled', decayValue: 1 - 1e-3 * 0.1 },
      { beta1: 0.8, beta2: 0.95, eps: 1e-6, mode: 'l2', decayValue: 0.3, scale: 0.37 },
      { beta1: 0.9, beta2: 0.99, eps: 1e-8, mode: 'none', decayValue: 0 },
    ];
    try {
      for (const forced of (isa === 'avx512' ? ['avx512', 'avx2'] : ['avx2']) as NativeIsa[]) {
        assert.ok(addon().setIsa(forced));
        for (const h of hypers) {
          for (const shift of [0, 4, 8, 12]) {
            const call = layout(vars, h, shift, shift === 8);
            addon().adamUpdate(call.heap, call.table, call.hyper);
            vars.forEach((x, i) => {
              const want = reference(x, h);
              const [p, m, v] = call.outputs[i];
              const label = `${forced} ${h.mode} shift ${shift} size ${x.param.length}`;
              assert.deepEqual(Array.from(p), Array.from(want.p), `${label} param`);
              assert.deepEqual(Array.from(m), Array.from(want.m), `${label} m`);
              assert.deepEqual(Array.from(v), Array.from(want.v), `${label} v`);
            });
          }
        }
      }
    } finally {
      addon().setIsa(isa);
    }
  });

  it('reads its inputs only, and an empty table or zero-size variable is a no-op', () => {
    const rng = new Rng(4);
    const vars = variables(rng).slice(5, 7);
    const h: Hyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, mode: 'decoupled', decayValue: 0.99 };
    const call = layout(vars, h, 4);
    const inputs = Array.from({ length: 4 }, (_, k) => call.table[k]).map((o, k) => new Float32Array(call.buffer, o, vars[0].param.length).slice());
    addon().adamUpdate(call.heap, call.table, call.hyper);
    [vars[0].param, vars[0].grad, vars[0].m, vars[0].v].forEach((x, k) => {
      if (x !== undefined) assert.deepEqual(Array.from(inputs[k]), Array.from(x), `input ${k}`);
    });
    addon().adamUpdate(call.heap, new Float64Array(0), call.hyper);
    const empty = Float64Array.of(4, 4, -1, -1, 8, 12, 16, 0, 1, 1, 0);
    addon().adamUpdate(call.heap, empty, call.hyper);
  });

  it('raises, touching nothing, for ranges outside the heap, unaligned offsets, overlaps, bad tables and detached buffers', () => {
    const rng = new Rng(5);
    const vars = variables(rng).slice(1, 3);
    const h: Hyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, mode: 'l2', decayValue: 0.1, scale: 0.5 };
    const k = addon();
    const expectThrow = (edit: (table: Float64Array, hyper: Float64Array) => void, pattern: RegExp, heap?: ArrayBuffer): void => {
      const call = layout(vars, h, 4);
      edit(call.table, call.hyper);
      assert.throws(() => k.adamUpdate(heap ?? call.heap, call.table, call.hyper), pattern);
      for (const outs of call.outputs) for (const o of outs) assert.ok(o.every(Number.isNaN), `${pattern}: outputs untouched`);
    };
    const row = 11;
    expectThrow((t) => (t[row + 0] = 1 << 20), /outside the heap/);
    expectThrow((t) => (t[row + 7] = 1 << 20), /outside the heap/);
    expectThrow((t) => (t[row + 5] = t[row + 5] + 2), /aligned/);
    expectThrow((_, hy) => (hy[7] = 1 << 20), /scale lies outside the heap/);
    expectThrow((t) => (t[row + 4] = t[row + 1]), /overlaps/);
    expectThrow((t) => (t[row + 6] = t[row + 5] + 4), /overlaps/);
    expectThrow((t) => (t[4] = t[row + 4]), /overlaps/);
    expectThrow((t) => (t[1] = -4), /non-negative integers/);
    expectThrow((t) => (t[2] = 0.5), /non-negative integers/);
    expectThrow((t) => (t[10] = 2), /decay 0 or 1/);
    expectThrow((_, hy) => (hy[5] = 3), /decay mode/);
    const detached = new ArrayBuffer(4096);
    structuredClone(detached, { transfer: [detached] });
    assert.equal(detached.byteLength, 0);
    expectThrow(() => undefined, /outside the heap/, detached);
    const call = layout(vars, h, 0);
    assert.throws(() => k.adamUpdate(call.heap, call.table.subarray(1), call.hyper), /11 entries per variable/);
    assert.throws(() => k.adamUpdate(call.heap, Float32Array.from(call.table) as unknown as Float64Array, call.hyper), /Float64Array/);
    assert.throws(() => k.adamUpdate(call.heap, call.table, call.hyper.subarray(1)), /8 entries/);
  });
});
