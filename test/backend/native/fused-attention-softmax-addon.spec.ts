import { strict as assert } from 'assert';
import type { NativeIsa } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { requireNativeKernels } from './native-fixture';

interface Dims {
  b: number;
  h: number;
  tq: number;
  tk: number;
  /** Batch size of the mask: 1 or b. */
  mb: number;
}

/** float64 reference: probs = softmax(scores + mask) per row, dx = p·dy − (Σ p·dy)·p. */
function reference(s: Float32Array, m: Float32Array, dy: Float32Array, d: Dims): { probs: Float64Array; dx: Float64Array } {
  const probs = new Float64Array(s.length);
  const dx = new Float64Array(s.length);
  for (let b = 0; b < d.b; b++) {
    for (let h = 0; h < d.h; h++) {
      for (let q = 0; q < d.tq; q++) {
        const at = ((b * d.h + h) * d.tq + q) * d.tk;
        const mAt = ((d.mb === 1 ? 0 : b) * d.tq + q) * d.tk;
        const x = Array.from({ length: d.tk }, (_, j) => Math.fround(s[at + j] + m[mAt + j]));
        const max = Math.max(...x);
        const e = x.map((v) => Math.exp(v - max));
        const sum = e.reduce((a, v) => a + v, 0);
        let dot = 0;
        for (let j = 0; j < d.tk; j++) {
          probs[at + j] = e[j] / sum;
          dot += probs[at + j] * dy[at + j];
        }
        for (let j = 0; j < d.tk; j++) dx[at + j] = probs[at + j] * (dy[at + j] - dot);
      }
    }
  }
  return { probs, dx };
}

/** Operands laid out back to back from byte `shift` of a fresh buffer: scores, mask (causal, some extra holes), dy, probs, dx. */
function layout(d: Dims, shift: number, shared: boolean, seed: number) {
  const n = d.b * d.h * d.tq * d.tk;
  const maskCount = d.mb * d.tq * d.tk;
  const buffer = shared ? new SharedArrayBuffer(shift + 4 * (4 * n + maskCount)) : new ArrayBuffer(shift + 4 * (4 * n + maskCount));
  let at = shift;
  const take = (count: number): number => {
    const offset = at;
    at += 4 * count;
    return offset;
  };
  const off = { s: take(n), m: take(maskCount), dy: take(n), p: take(n), dx: take(n) };
  const rng = new Rng(seed);
  const s = new Float32Array(buffer, off.s, n);
  const m = new Float32Array(buffer, off.m, maskCount);
  const dy = new Float32Array(buffer, off.dy, n);
  for (let i = 0; i < n; i++) {
    s[i] = 3 * rng.normal();
    dy[i] = rng.normal();
  }
  for (let i = 0; i < maskCount; i++) {
    const q = Math.floor(i / d.tk) % d.tq;
    const k = i % d.tk;
    m[i] = k > q + (d.tk - d.tq) || rng.float() < 0.1 ? -1e9 : 0;
  }
  for (let i = 0; i < maskCount; i += d.tk) m[i] = 0; // every row keeps at least its first key
  return { buffer, off, s, m, dy, probs: new Float32Array(buffer, off.p, n), dx: new Float32Array(buffer, off.dx, n) };
}

describe('fused attention softmax addon', () => {
  const addon = requireNativeKernels();

  it('matches a float64 reference at misaligned (4-byte) offsets, with shared and per-batch masks, on ArrayBuffer, Uint8Array and SharedArrayBuffer', () => {
    const cases: Dims[] = [
      { b: 2, h: 3, tq: 5, tk: 5, mb: 1 },
      { b: 2, h: 2, tq: 17, tk: 17, mb: 2 },
      { b: 1, h: 1, tq: 1, tk: 1, mb: 1 },
      { b: 3, h: 1, tq: 1, tk: 1, mb: 3 },
      { b: 1, h: 2, tq: 16, tk: 16, mb: 1 },
      { b: 2, h: 2, tq: 3, tk: 41, mb: 2 },
      { b: 1, h: 1, tq: 2, tk: 70, mb: 1 },
    ];
    for (const d of cases) {
      for (const shift of [0, 4, 12]) {
        for (const shared of [false, true]) {
          const label = `${JSON.stringify(d)} shift ${shift} shared ${shared}`;
          const x = layout(d, shift, shared, d.b * 131 + d.tq * 7 + d.tk);
          const heap = shared ? new Uint8Array(x.buffer) : (x.buffer as ArrayBuffer);
          addon().attentionSoftmax(heap, x.off.s, x.off.m, x.off.p, d.b, d.h, d.tq, d.tk, d.mb);
          addon().attentionSoftmaxGrad(heap, x.off.p, x.off.dy, x.off.dx, d.b * d.h * d.tq, d.tk);
          const ref = reference(x.s, x.m, x.dy, d);
          assertClose(x.probs, ref.probs, 1e-6, `${label} probs`);
          assertClose(x.dx, ref.dx, 2e-6, `${label} dx`);
          x.m.forEach((v, i) => {
            if (v !== 0) {
              for (let r = 0; r < (d.mb === 1 ? d.b : 1) * d.h; r++) {
                const plane = d.tq * d.tk;
                const at = (d.mb === 1 ? r * plane : (Math.floor(i / plane) * d.h + r) * plane) + (i % plane);
                assert.ok(x.probs[at] === 0, `${label}: masked entry ${at} is exactly 0`);
                assert.ok(x.dx[at] === 0, `${label}: masked entry ${at} gets no gradient (±0)`);
              }
            }
          });
        }
      }
    }
  });

  it('gives the same results with the AVX2 and AVX-512 bodies; NaN, +inf and all −inf rows give NaN rows, like the composite', () => {
    const original = addon().info().isa;
    const d: Dims = { b: 2, h: 2, tq: 6, tk: 37, mb: 2 };
    const results: Partial<Record<NativeIsa, { probs: Float32Array; dx: Float32Array }>> = {};
    try {
      for (const isa of ['avx512', 'avx2'] as const) {
        if (!addon().setIsa(isa)) continue;
        const x = layout(d, 4, false, 77);
        x.s[0 * d.tk + 3] = NaN; // row 0: vector body
        x.s[1 * d.tk + 36] = Infinity; // row 1: scalar tail
        x.m.fill(-Infinity, 2 * d.tk, 3 * d.tk); // row 2 of batch 0, every head: all −inf
        x.m[3 * d.tk + 5] = -Infinity; // row 3: one −inf key is just masked
        const heap = new Uint8Array(x.buffer);
        addon().attentionSoftmax(heap, x.off.s, x.off.m, x.off.p, d.b, d.h, d.tq, d.tk, d.mb);
        addon().attentionSoftmaxGrad(heap, x.off.p, x.off.dy, x.off.dx, d.b * d.h * d.tq, d.tk);
        const row = (a: Float32Array, r: number): Float32Array => a.subarray(r * d.tk, (r + 1) * d.tk);
        for (const r of [0, 1, 2, d.tq + 2]) {
          assert.ok(row(x.probs, r).every(Number.isNaN), `${isa}: NaN probs row ${r}`);
          assert.ok(row(x.dx, r).every(Number.isNaN), `${isa}: NaN gradient row ${r}`);
          row(x.probs, r).fill(0);
          row(x.dx, r).fill(0);
        }
        assert.equal(x.probs[3 * d.tk + 5], 0, `${isa}: −inf key gives 0`);
        assert.ok(x.probs.every(Number.isFinite) && x.dx.every(Number.isFinite), `${isa}: other rows finite`);
        results[isa] = { probs: x.probs, dx: x.dx };
      }
    } finally {
      addon().setIsa(original);
    }
    assert.ok(results.avx2 !== undefined, 'AVX2 ran');
    if (results.avx512 !== undefined) {
      assertClose(results.avx512.probs, results.avx2.probs, 1e-7, 'probs avx512 vs avx2');
      assertClose(results.avx512.dx, results.avx2.dx, 1e-6, 'dx avx512 vs avx2');
    }
  });

  it('raises, touching nothing, for ranges outside the heap, unaligned offsets, overlaps, bad mask batch, detached buffers and no ISA', () => {
    const k = addon();
    const heap = new Uint8Array(new ArrayBuffer(4 * 64));
    heap.fill(7);
    // scores [2, 1, 2, 4] at 0 (32 bytes), mask [1, 1, 2, 4] at 32, probs at 64, dy at 96, dx at 128.
    assert.throws(() => k.attentionSoftmax(heap, 0, 32, 232, 2, 1, 2, 4, 1), /outside the heap/);
    assert.throws(() => k.attentionSoftmax(heap, 0, 240, 64, 2, 1, 2, 4, 2), /outside the heap/);
    assert.throws(() => k.attentionSoftmax(heap, 2, 32, 64, 2, 1, 2, 4, 1), /aligned/);
    assert.throws(() => k.attentionSoftmax(heap, 0, 32, 16, 2, 1, 2, 4, 1), /overlaps/);
    assert.throws(() => k.attentionSoftmax(heap, 0, 32, 48, 2, 1, 2, 4, 1), /overlaps/);
    assert.throws(() => k.attentionSoftmax(heap, 0, 32, 64, 2, 1, 2, 4, 3), /maskBatch/);
    assert.throws(() => k.attentionSoftmax(heap, -4, 32, 64, 2, 1, 2, 4, 1), /non-negative integers/);
    assert.throws(() => k.attentionSoftmax(heap, 0, 32, 64, 2, 1, 2, 0, 1), /cols must be positive/);
    assert.throws(() => k.attentionSoftmaxGrad(heap, 64, 96, 232, 4, 4), /outside the heap/);
    assert.throws(() => k.attentionSoftmaxGrad(heap, 64, 96, 80, 4, 4), /overlaps/);
    assert.throws(() => k.attentionSoftmaxGrad(heap, 64, 96, 120, 4, 4), /overlaps/);
    assert.throws(() => k.attentionSoftmaxGrad(heap, 64, 96, 128, 4.5, 4), /non-negative integers/);
    assert.throws(() => k.attentionSoftmax(heap, 0, 32, 64, 2 ** 31, 2 ** 31, 2, 4, 1), /too large/);
    assert.throws(() => k.attentionSoftmaxGrad(heap, 64, 96, 128, 2 ** 40, 2 ** 10), /too large/);
    assert.ok(heap.every((b) => b === 7), 'heap untouched by the failed calls');
    const detached = new ArrayBuffer(4 * 64);
    structuredClone(detached, { transfer: [detached] });
    assert.equal(detached.byteLength, 0);
    assert.throws(() => k.attentionSoftmax(detached, 0, 32, 64, 2, 1, 2, 4, 1), /outside the heap/);
    assert.throws(() => k.attentionSoftmaxGrad(detached, 64, 96, 128, 4, 4), /outside the heap/);
    const original = k.info().isa;
    try {
      assert.equal(k.setIsa('none'), true);
      assert.throws(() => k.attentionSoftmax(heap, 0, 32, 64, 2, 1, 2, 4, 1), /instruction set/);
      assert.throws(() => k.attentionSoftmaxGrad(heap, 64, 96, 128, 4, 4), /instruction set/);
    } finally {
      k.setIsa(original);
    }
    // Nothing to do is a no-op, even at the end of the heap.
    k.attentionSoftmax(heap, 256, 256, 256, 0, 1, 2, 4, 1);
    k.attentionSoftmaxGrad(heap, 256, 256, 256, 0, 4);
  });
});
