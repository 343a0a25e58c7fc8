import { strict as assert } from 'assert';
import * as fs from 'fs';
import { nativeSelfTest } from '../../../src/backend/native';
import { requireNativeKernels } from './native-fixture';

/** float64 reference of op(A)·op(B). */
function reference(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  }
  return c;
}

describe('native kernels addon', () => {
  const addon = requireNativeKernels();

  it('reports its instruction set and passes its start-up self-test', () => {
    const info = addon().info();
    assert.ok(['avx512', 'avx2'].includes(info.isa), info.isa);
    assert.equal(nativeSelfTest(addon()), undefined);
  });

  it('asks for huge pages on a heap without changing its bytes; bad arguments give false, not a throw', () => {
    const heap = new Uint8Array(8 << 20);
    for (let i = 0; i < heap.length; i += 4096) heap[i] = i % 251;
    const thp = fs.existsSync('/sys/kernel/mm/transparent_hugepage/enabled') ? fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8') : '';
    const advised = addon().adviseHugePages?.(heap);
    assert.equal(typeof advised, 'boolean');
    // madvise takes the advice on Linux whenever THP exists, even in "never" mode.
    if (process.platform === 'linux' && thp !== '') assert.equal(advised, true, `THP: ${thp.trim()}`);
    for (let i = 0; i < heap.length; i += 4096) assert.equal(heap[i], i % 251);
    assert.equal(addon().adviseHugePages?.(new Uint8Array(16)), false, 'smaller than one huge page');
    assert.equal((addon().adviseHugePages as unknown as (x: unknown) => boolean)(42), false);
  });

  it('copies strided rows of words bit for bit; refuses ranges outside the heap, overlaps and strides below the row', () => {
    const words = Int32Array.from({ length: 1000 }, (_, i) => (i * 2654435761) | 0);
    words[12] = 0x7fc00001; // a NaN payload must survive
    const original = words.slice();
    const copy = addon().copyRows!.bind(addon());
    copy(words, 4 * 10, 7, 4 * 500, 5, 20, 5);
    for (let r = 0; r < 20; r++) {
      for (let i = 0; i < 5; i++) assert.equal(words[500 + 5 * r + i], original[10 + 7 * r + i], `row ${r}, word ${i}`);
    }
    assert.equal(words[500 + 5 * 20], original[500 + 5 * 20], 'nothing past the last row');
    assert.throws(() => copy(words, 0, 7, 4 * 990, 5, 20, 5), /outside the heap/);
    assert.throws(() => copy(words, 0, 5, 4 * 10, 5, 20, 5), /overlaps/);
    assert.throws(() => copy(words, 0, 3, 4 * 500, 5, 20, 5), /strides must be at least the row length/);
  });

  it('sums SharedArrayBuffer slots in slot order with float32 adds (the JS rounding of each add), at an offset; refuses bad ranges and overlaps', () => {
    const n = 10_000;
    const stride = n + 3;
    for (const count of [1, 2, 3, 5]) {
      const set = new Float32Array(new SharedArrayBuffer(4 * count * stride));
      for (let i = 0; i < set.length; i++) set[i] = Math.fround(Math.sin(i * 0.37) * 10 ** ((i % 9) - 4));
      const dst = new Float32Array(n + 7).fill(-1);
      addon().sumSlots!(dst, 4 * 5, set, 0, stride, count, n);
      for (let i = 0; i < n; i++) {
        let s = set[i];
        for (let r = 1; r < count; r++) s = Math.fround(s + set[r * stride + i]);
        assert.ok(Object.is(dst[5 + i], s), `count ${count}, element ${i}: ${dst[5 + i]} vs ${s}`);
      }
      assert.deepEqual([...dst.subarray(0, 5), ...dst.subarray(5 + n)], [-1, -1, -1, -1, -1, -1, -1], 'nothing outside [5, 5 + n)');
    }
    const sum = addon().sumSlots!.bind(addon());
    const set = new Float32Array(new SharedArrayBuffer(4 * 2 * 16));
    assert.throws(() => sum(new Float32Array(16), 0, set, 0, 16, 3, 16), /outside its array/);
    assert.throws(() => sum(new Float32Array(8), 0, set, 0, 16, 2, 16), /outside its array/);
    assert.throws(() => sum(new Float32Array(16), 0, set, 0, 8, 2, 16), /stride must be at least n/);
    assert.throws(() => sum(set, 4 * 20, set, 0, 16, 2, 8), /overlaps the slots/);
    sum(set, 4 * 24, set, 0, 16, 2, 8); // just past the second slot's 8 floats: no overlap
  });

  it('computes at misaligned (4-byte) offsets, on an ArrayBuffer, a Uint8Array and a SharedArrayBuffer view', () => {
    const m = 11;
    const n = 35;
    const k = 19;
    for (const shift of [4, 8, 12]) {
      for (const shared of [false, true]) {
        const bytes = shift + 4 * (m * k + k * n + m * n);
        const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
        const a = new Float32Array(buffer, shift, m * k);
        const b = new Float32Array(buffer, shift + 4 * m * k, k * n);
        for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
        for (let i = 0; i < b.length; i++) b[i] = Math.cos(i);
        const cOff = shift + 4 * (m * k + k * n);
        addon().gemm(shared ? new Uint8Array(buffer) : (buffer as ArrayBuffer), shift, shift + 4 * m * k, cOff, -1, 1, m, n, k, false, false, 0, 0, 0);
        const c = new Float32Array(buffer, cOff, m * n);
        const ref = reference(a, b, m, n, k, false, false);
        for (let i = 0; i < c.length; i++) assert.ok(Math.abs(c[i] - ref[i]) < 1e-4, `shift ${shift} shared ${shared} at ${i}`);
      }
    }
  });

  it('raises, touching nothing, for ranges outside the heap, unaligned offsets, overlaps and detached buffers', () => {
    const buffer = new ArrayBuffer(4 * 64);
    const heap = new Uint8Array(buffer);
    const k = addon();
    assert.throws(() => k.gemm(heap, 0, 64, 224, -1, 1, 4, 4, 8, false, false, 0, 0, 0), /outside the heap/);
    assert.throws(() => k.gemm(heap, 2, 64, 128, -1, 1, 2, 2, 2, false, false, 0, 0, 0), /aligned/);
    assert.throws(() => k.gemm(heap, 0, 16, 8, -1, 1, 2, 2, 2, false, false, 0, 0, 0), /overlaps/);
    assert.throws(() => k.gemm(heap, 0, 16, 32, -1, 3, 2, 2, 2, false, false, 4, 40, 0), /outside the heap/);
    assert.throws(() => k.sumRows(heap, 0, 200, 4, 16), /outside the heap|overlaps/);
    assert.throws(() => k.gemm(heap, -4, 16, 32, -1, 1, 2, 2, 2, false, false, 0, 0, 0), /non-negative integers/);
    const detached = new ArrayBuffer(4 * 64);
    structuredClone(detached, { transfer: [detached] });
    assert.equal(detached.byteLength, 0);
    assert.throws(() => k.gemm(detached, 0, 16, 32, -1, 1, 2, 2, 2, false, false, 0, 0, 0), /outside the heap/);
  });
});
