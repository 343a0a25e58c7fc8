import { strict as assert } from 'assert';
import type { NativeIsa } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { requireNativeKernels } from './native-fixture';

/** float64 reference: per-row loss (0 for out-of-range labels) and (softmax − onehot)·dy. */
function reference(x: Float32Array, labels: Int32Array, dy: Float32Array, rows: number, cols: number): { loss: Float64Array; dx: Float64Array } {
  const loss = new Float64Array(rows);
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const label = labels[r];
    if (label < 0 || label >= cols) continue;
    const m = Math.max(...row);
    const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    loss[r] = m - row[label] + logSum;
    for (let j = 0; j < cols; j++) dx[r * cols + j] = (Math.exp(row[j] - m - logSum) - (j === label ? 1 : 0)) * dy[r];
  }
  return { loss, dx };
}

/** Operands laid out back to back from byte `shift` of a fresh buffer, filled with seeded values. */
function layout(rows: number, cols: number, shift: number, shared: boolean, seed: number) {
  const floats = 2 * rows * cols + 5 * rows; // x, labels, loss, stats (2 per row), dy, dx
  const buffer = shared ? new SharedArrayBuffer(shift + 4 * floats) : new ArrayBuffer(shift + 4 * floats);
  let at = shift;
  const take = (count: number): number => {
    const offset = at;
    at += 4 * count;
    return offset;
  };
  const off = { x: take(rows * cols), labels: take(rows), loss: take(rows), stats: take(2 * rows), dy: take(rows), dx: take(rows * cols) };
  const rng = new Rng(seed);
  const x = new Float32Array(buffer, off.x, rows * cols);
  const labels = new Int32Array(buffer, off.labels, rows);
  const dy = new Float32Array(buffer, off.dy, rows);
  for (let i = 0; i < x.length; i++) x[i] = 4 * rng.normal();
  for (let r = 0; r < rows; r++) {
    labels[r] = r % 5 === 3 ? -100 : r % 7 === 6 ? cols : rng.int(cols);
    dy[r] = rng.normal();
  }
  return { buffer, off, x, labels, dy, loss: new Float32Array(buffer, off.loss, rows), dx: new Float32Array(buffer, off.dx, rows * cols) };
}

describe('fused softmax cross-entropy addon', () => {
  const addon = requireNativeKernels();

  it('matches a float64 reference at misaligned (4-byte) offsets, on ArrayBuffer, Uint8Array and SharedArrayBuffer', () => {
    for (const [rows, cols] of [
      [13, 37],
      [4, 1],
      [3, 16],
      [5, 33],
      [2, 300],
    ]) {
      for (const shift of [0, 4, 12]) {
        for (const shared of [false, true]) {
          const label = `rows ${rows} cols ${cols} shift ${shift} shared ${shared}`;
          const d = layout(rows, cols, shift, shared, rows * 31 + cols);
          const heap = shared ? new Uint8Array(d.buffer) : (d.buffer as ArrayBuffer);
          addon().softmaxCrossEntropy(heap, d.off.x, d.off.labels, d.off.loss, d.off.stats, rows, cols);
          addon().softmaxCrossEntropyGrad(heap, d.off.x, d.off.labels, d.off.stats, d.off.dy, d.off.dx, rows, cols);
          const ref = reference(d.x, d.labels, d.dy, rows, cols);
          assertClose(d.loss, ref.loss, 2e-5, `${label} loss`);
          assertClose(d.dx, ref.dx, 2e-6, `${label} dx`);
          d.labels.forEach((l, r) => {
            if (l < 0 || l >= cols) assert.equal(d.loss[r], 0, `${label} row ${r} out-of-range label`);
          });
        }
      }
    }
  });

  it('gives the same results with the AVX2 and AVX-512 bodies (exp twins, only summation order differs), NaN rows included', () => {
    const original = addon().info().isa;
    const results: Partial<Record<NativeIsa, { loss: Float32Array; dx: Float32Array }>> = {};
    try {
      for (const isa of ['avx512', 'avx2'] as const) {
        if (!addon().setIsa(isa)) continue;
        const d = layout(9, 71, 4, false, 77);
        d.x[2 * 71 + 40] = NaN; // row 2 (label in range): NaN must reach its loss and gradient
        const heap = new Uint8Array(d.buffer);
        addon().softmaxCrossEntropy(heap, d.off.x, d.off.labels, d.off.loss, d.off.stats, 9, 71);
        addon().softmaxCrossEntropyGrad(heap, d.off.x, d.off.labels, d.off.stats, d.off.dy, d.off.dx, 9, 71);
        assert.ok(Number.isNaN(d.loss[2]), `${isa}: NaN loss`);
        assert.ok(d.dx.subarray(2 * 71, 3 * 71).every(Number.isNaN), `${isa}: NaN gradient row`);
        d.loss[2] = 0;
        d.dx.fill(0, 2 * 71, 3 * 71);
        results[isa] = { loss: d.loss, dx: d.dx };
      }
    } finally {
      addon().setIsa(original);
    }
    assert.ok(results.avx2 !== undefined, 'AVX2 ran');
    if (results.avx512 !== undefined) {
      assertClose(results.avx512.loss, results.avx2.loss, 1e-5, 'loss avx512 vs avx2');
      assertClose(results.avx512.dx, results.avx2.dx, 1e-6, 'dx avx512 vs avx2');
    }
  });

  it('raises, touching nothing, for ranges outside the heap, unaligned offsets, overlaps, detached buffers and no ISA', () => {
    const k = addon();
    const heap = new Uint8Array(new ArrayBuffer(4 * 64));
    heap.fill(7);
    // x [4, 8] at 0, labels at 128, loss at 144, stats at 160, dy at 192; dx [4, 8] would need 128 bytes at 208.
    assert.throws(() => k.softmaxCrossEntropy(heap, 64, 0, 16, 32, 4, 16), /outside the heap/);
    assert.throws(() => k.softmaxCrossEntropy(heap, 0, 128, 144, 248, 4, 8), /outside the heap/);
    assert.throws(() => k.softmaxCrossEntropy(heap, 2, 128, 144, 160, 4, 8), /aligned/);
    assert.throws(() => k.softmaxCrossEntropy(heap, 0, 128, 120, 160, 4, 8), /overlaps/);
    assert.throws(() => k.softmaxCrossEntropy(heap, 0, 128, 144, 148, 4, 8), /overlaps/);
    assert.throws(() => k.softmaxCrossEntropy(heap, -4, 128, 144, 160, 4, 8), /non-negative integers/);
    assert.throws(() => k.softmaxCrossEntropy(heap, 0, 128, 144, 160, 4, 0), /cols must be positive/);
    assert.throws(() => k.softmaxCrossEntropyGrad(heap, 0, 128, 160, 192, 208, 4, 8), /outside the heap/);
    assert.throws(() => k.softmaxCrossEntropyGrad(heap, 0, 128, 160, 192, 32, 2, 8), /overlaps/);
    assert.throws(() => k.softmaxCrossEntropyGrad(heap, 0, 128, 160, 192, 208, 4.5, 8), /non-negative integers/);
    assert.ok(heap.every((b) => b === 7), 'heap untouched by the failed calls');
    const detached = new ArrayBuffer(4 * 64);
    structuredClone(detached, { transfer: [detached] });
    assert.equal(detached.byteLength, 0);
    assert.throws(() => k.softmaxCrossEntropy(detached, 0, 128, 144, 160, 4, 8), /outside the heap/);
    assert.throws(() => k.softmaxCrossEntropyGrad(detached, 0, 32, 40, 56, 64, 2, 8), /outside the heap/);
    const original = k.info().isa;
    try {
      assert.equal(k.setIsa('none'), true);
      assert.throws(() => k.softmaxCrossEntropy(heap, 0, 128, 144, 160, 4, 8), /instruction set/);
    } finally {
      k.setIsa(original);
    }
    // Zero rows is a no-op, even at the end of the heap.
    k.softmaxCrossEntropy(heap, 256, 256, 256, 256, 0, 8);
  });
});
