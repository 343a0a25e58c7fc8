import { strict as assert } from 'assert';
import type { NativeIsa, NativeKernelsAddon } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { randomValues } from '../backend-fixture';
import { requireNativeKernels } from './native-fixture';

const GELU_A = 2 * Math.sqrt(2 / Math.PI);
/** a and b of y = x·σ(x·(a + b·x²)) for the addon's kinds (0 GELU-tanh, 1 SiLU). */
const COEFFS: Array<[number, number]> = [
  [GELU_A, GELU_A * 0.044715],
  [1, 0],
];

/** float64 GELU-tanh / SiLU and its derivative: the textbook tanh form for GELU, so the sigmoid rewrite is checked too. */
function gateReference(kind: number, x: number): { y: number; dydx: number } {
  if (kind === 0) {
    const c = Math.sqrt(2 / Math.PI);
    const t = Math.tanh(c * (x + 0.044715 * x ** 3));
    return { y: 0.5 * x * (1 + t), dydx: 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x) };
  }
  const s = 1 / (1 + Math.exp(-x));
  return { y: x * s, dydx: s * (1 + x * (1 - s)) };
}

interface NormData {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
  dy: Float32Array;
}

/** float64 LayerNorm/RMSNorm forward and backward over rows of `cols`. */
function normReference(d: NormData, rows: number, cols: number, eps: number, centre: boolean, bias: boolean) {
  const y = new Float64Array(rows * cols);
  const dx = new Float64Array(rows * cols);
  const dw = new Float64Array(cols);
  const db = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = (k: number): number => d.x[r * cols + k];
    let mu = 0;
    if (centre) for (let k = 0; k < cols; k++) mu += row(k) / cols;
    let variance = 0;
    for (let k = 0; k < cols; k++) variance += (row(k) - mu) ** 2 / cols;
    const rstd = 1 / Math.sqrt(variance + eps);
    let mg = 0;
    let mgx = 0;
    for (let k = 0; k < cols; k++) {
      const xhat = (row(k) - mu) * rstd;
      const g = d.dy[r * cols + k] * d.w[k];
      y[r * cols + k] = xhat * d.w[k] + (bias ? d.b[k] : 0);
      if (centre) mg += g / cols;
      mgx += (g * xhat) / cols;
      dw[k] += d.dy[r * cols + k] * xhat;
      db[k] += d.dy[r * cols + k];
    }
    for (let k = 0; k < cols; k++) dx[r * cols + k] = rstd * (d.dy[r * cols + k] * d.w[k] - mg - (row(k) - mu) * rstd * mgx);
  }
  return { y, dx, dw, db };
}

/** Asserts |actual − expected| ≤ tol·(1 + |expected|) elementwise. */
function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * (1 + Math.abs(expected[i])), `${label}[${i}]: ${actual[i]} vs ${expected[i]} (error ${err})`);
  }
}

/** Float arrays laid out back to back in one buffer, starting `shift` bytes in. */
class Arena {
  private next: number;
  constructor(
    readonly buffer: ArrayBuffer | SharedArrayBuffer,
    shift: number,
  ) {
    this.next = shift;
  }
  /** Byte offset of a new array of `count` floats (filled with `values` when given) and its view. */
  take(count: number, values?: Float32Array): { offset: number; view: Float32Array } {
    const offset = this.next;
    const view = new Float32Array(this.buffer, offset, count);
    if (values !== undefined) view.set(values);
    this.next += 4 * count;
    return { offset, view };
  }
  /** The heap argument: the buffer itself, or a Uint8Array over it (always so for a SharedArrayBuffer). */
  heap(asView: boolean): Uint8Array | ArrayBuffer {
    return asView || this.buffer instanceof SharedArrayBuffer ? new Uint8Array(this.buffer) : (this.buffer as ArrayBuffer);
  }
}

/** Runs `fn` once per instruction set the CPU has (AVX-512, AVX2, and the scalar reference build), then restores the detected one. */
function forEachIsa(addon: () => NativeKernelsAddon, fn: (isa: NativeIsa) => void): void {
  const detected = addon().info().detectedIsa;
  try {
    for (const isa of ['avx512', 'avx2', 'none'] as const) {
      if (!addon().setIsa(isa)) continue;
      fn(isa);
    }
  } finally {
    addon().setIsa(detected);
  }
}

const GATE_COUNTS = [1, 7, 15, 16, 17, 33, 1001];
const NORM_SHAPES: Array<[number, number]> = [
  [1, 1],
  [1, 17],
  [3, 16],
  [5, 33],
  [70, 7],
  [130, 129],
];

describe('fused GELU and LayerNorm addon', () => {
  const addon = requireNativeKernels();

  it('computes GELU-tanh and SiLU, forward and backward, like a float64 tanh reference on every ISA, at misaligned offsets', () => {
    const rng = new Rng(11);
    forEachIsa(addon, (isa) => {
      for (const count of GATE_COUNTS) {
        const x = randomValues(rng, count).map((v) => v * 4); // reaches the flat tails of σ
        const dy = randomValues(rng, count);
        for (const [shift, shared] of [[4, false], [8, true], [12, false]] as const) {
          for (const kind of [0, 1]) {
            const arena = new Arena(shared ? new SharedArrayBuffer(shift + 16 * count) : new ArrayBuffer(shift + 16 * count), shift);
            const xs = arena.take(count, x);
            const dys = arena.take(count, dy);
            const ys = arena.take(count);
            const dxs = arena.take(count);
            const heap = arena.heap(shift === 8);
            addon().gateForward(heap, kind, xs.offset, ys.offset, count);
            addon().gateBackward(heap, kind, dys.offset, xs.offset, dxs.offset, count);
            const label = `${isa} kind ${kind} count ${count} shift ${shift}`;
            assertNear(ys.view, Array.from(x, (v) => gateReference(kind, v).y), 2e-6, `${label} y`);
            assertNear(dxs.view, Array.from(x, (v, i) => dy[i] * gateReference(kind, v).dydx), 5e-6, `${label} dx`);
            addon().gateBackward(heap, kind, xs.offset, xs.offset, dxs.offset, count); // inputs may alias each other
            assertNear(dxs.view, Array.from(x, (v) => v * gateReference(kind, v).dydx), 5e-6, `${label} dx (dy = x)`);
          }
        }
      }
    });
  });

  it('computes LayerNorm and RMSNorm, forward and backward, like a float64 reference on every ISA, at misaligned offsets', () => {
    const rng = new Rng(13);
    forEachIsa(addon, (isa) => {
      for (const [rows, cols] of NORM_SHAPES) {
        const data: NormData = {
          x: randomValues(rng, rows * cols).map((v) => 3 + 2 * v), // an offset, so centring matters
          w: randomValues(rng, cols),
          b: randomValues(rng, cols),
          dy: randomValues(rng, rows * cols),
        };
        for (const centre of [true, false]) {
          for (const bias of [true, false]) {
            const shift = bias ? 4 : 12;
            const floats = 4 * rows * cols + 4 * cols + 2 * rows;
            const arena = new Arena(centre ? new ArrayBuffer(shift + 4 * floats) : new SharedArrayBuffer(shift + 4 * floats), shift);
            const [x, w, b, dy] = [arena.take(rows * cols, data.x), arena.take(cols, data.w), arena.take(cols, data.b), arena.take(rows * cols, data.dy)];
            const [y, mean, rstd, dx, dw, db] = [arena.take(rows * cols), arena.take(rows), arena.take(rows), arena.take(rows * cols), arena.take(cols), arena.take(cols)];
            db.view.fill(123); // must stay untouched without a bias
            const heap = arena.heap(bias);
            addon().normForward(heap, x.offset, w.offset, bias ? b.offset : -1, y.offset, mean.offset, rstd.offset, rows, cols, 1e-5, centre);
            addon().normBackward(heap, dy.offset, x.offset, w.offset, mean.offset, rstd.offset, dx.offset, dw.offset, bias ? db.offset : -1, rows, cols, centre);
            const ref = normReference(data, rows, cols, 1e-5, centre, bias);
            const label = `${isa} [${rows}, ${cols}] centre ${centre} bias ${bias}`;
            assertNear(y.view, ref.y, 2e-5, `${label} y`);
            assertNear(dx.view, ref.dx, 1e-4, `${label} dx`);
            assertNear(dw.view, ref.dw, 2e-5 * Math.sqrt(rows), `${label} dw`);
            if (bias) assertNear(db.view, ref.db, 2e-5 * Math.sqrt(rows), `${label} db`);
            else assert.ok(db.view.every((v) => v === 123), `${label}: db untouched`);
            if (!centre) assert.ok(mean.view.every((v) => v === 0), `${label}: RMSNorm saves mean 0`);
          }
        }
      }
    });
  });

  it('sums dw and db in a fixed order: repeated calls give identical bits', () => {
    const rows = 300;
    const cols = 50;
    const rng = new Rng(14);
    const buffer = new ArrayBuffer(4 * (4 * rows * cols + 4 * cols + 2 * rows));
    const arena = new Arena(buffer, 0);
    const [x, w, dy] = [arena.take(rows * cols, randomValues(rng, rows * cols)), arena.take(cols, randomValues(rng, cols)), arena.take(rows * cols, randomValues(rng, rows * cols))];
    const [y, mean, rstd, dx, dw, db] = [arena.take(rows * cols), arena.take(rows), arena.take(rows), arena.take(rows * cols), arena.take(cols), arena.take(cols)];
    addon().normForward(buffer, x.offset, w.offset, -1, y.offset, mean.offset, rstd.offset, rows, cols, 1e-5, true);
    const grads = (): Float32Array[] => {
      addon().normBackward(buffer, dy.offset, x.offset, w.offset, mean.offset, rstd.offset, dx.offset, dw.offset, db.offset, rows, cols, true);
      return [dx.view.slice(), dw.view.slice(), db.view.slice()];
    };
    const first = grads();
    for (let i = 0; i < 3; i++) assert.deepEqual(grads(), first);
  });

  it('raises, touching nothing, for ranges outside the heap, unaligned offsets, overlaps, bad arguments and detached buffers', () => {
    const k = addon();
    const heap = new Uint8Array(new ArrayBuffer(4 * 256));
    heap.fill(7);
    const snapshot = heap.slice();
    // gate: x [0, 16), y [64, 80) floats when valid
    assert.throws(() => k.gateForward(heap, 0, 0, 4 * 250, 16), /outside the heap/);
    assert.throws(() => k.gateForward(heap, 0, 2, 256, 16), /aligned/);
    assert.throws(() => k.gateForward(heap, 0, 0, 32, 16), /overlaps/);
    assert.throws(() => k.gateBackward(heap, 1, 0, 256, 32, 16), /overlaps/);
    assert.throws(() => k.gateForward(heap, 2, 0, 256, 16), /kind/);
    assert.throws(() => k.gateForward(heap, 0, -4, 256, 16), /non-negative integers/);
    // norm: [4, 8] rows; x at 0, w at 128, y at 256, mean at 512, rstd at 640
    assert.throws(() => k.normForward(heap, 0, 128, -1, 256, 512, 4 * 255, 4, 8, 1e-5, true), /outside the heap/);
    assert.throws(() => k.normForward(heap, 0, 128, -1, 256, 512, 512, 4, 8, 1e-5, true), /overlaps/);
    assert.throws(() => k.normForward(heap, 0, 128, 260, 256, 512, 640, 4, 8, 1e-5, true), /overlaps/);
    assert.throws(() => k.normForward(heap, 0, 128, -1, 256, 512, 640, 4, 8, -1, true), /eps/);
    assert.throws(() => k.normForward(heap, 0, 128, -1, 256, 512, 640, 4, 8, 1e-5, 1 as unknown as boolean), /boolean/);
    assert.throws(() => k.normBackward(heap, 0, 0, 128, 256, 272, 512, 640, 640, 4, 8, true), /overlaps/);
    assert.throws(() => k.normBackward(heap, 0, 0, 128, 256, 272, 512, 132, -1, 4, 8, true), /overlaps/);
    assert.throws(() => k.normBackward(heap, 0, 0, 128, 256, 272, 512, 4 * 250, -1, 4, 8, true), /outside the heap/);
    assert.throws(() => (k.normBackward as (...args: unknown[]) => void)(heap, 0, 0), /expected 12 arguments/);
    assert.deepEqual(heap, snapshot, 'nothing written by a rejected call');
    const detached = new ArrayBuffer(4 * 256);
    structuredClone(detached, { transfer: [detached] });
    assert.equal(detached.byteLength, 0);
    assert.throws(() => k.gateForward(detached, 0, 0, 64, 8), /outside the heap/);
    assert.throws(() => k.normForward(detached, 0, 128, -1, 256, 512, 640, 4, 8, 1e-5, true), /outside the heap/);
    assert.throws(() => k.normBackward(detached, 0, 0, 128, 256, 272, 512, 640, -1, 4, 8, false), /outside the heap/);
  });
});
