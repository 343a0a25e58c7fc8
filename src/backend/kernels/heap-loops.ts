/**
 * Plain-JS loops over wasm-heap typed arrays, for memory-bound kernels where tfjs-backend-wasm's
 * generic C++ loops are slow (its Transpose runs ~5 ns per element; V8's JIT runs these ~1 ns).
 */

/** Rows per band of {@link transposeBlocks}. */
const BAND = 32;

/**
 * `dst[b, c, r] = src[b, r, c]` for `batch` matrices of `rows × cols`. Works in bands of 32 rows
 * and four columns at a time: each source row yields four consecutive values, written to four
 * output rows, so reads stay sequential and writes stream into four lines (~2× a plain tiled loop).
 */
export function transposeBlocks(
  src: Float32Array | Int32Array,
  dst: Float32Array | Int32Array,
  batch: number,
  rows: number,
  cols: number,
): void {
  const size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * size;
    for (let r0 = 0; r0 < rows; r0 += BAND) {
      const rEnd = Math.min(r0 + BAND, rows);
      let c = 0;
      for (; c + 4 <= cols; c += 4) {
        const o0 = base + c * rows;
        const o1 = o0 + rows;
        const o2 = o1 + rows;
        const o3 = o2 + rows;
        let at = base + r0 * cols + c;
        for (let r = r0; r < rEnd; r++, at += cols) {
          dst[o0 + r] = src[at];
          dst[o1 + r] = src[at + 1];
          dst[o2 + r] = src[at + 2];
          dst[o3 + r] = src[at + 3];
        }
      }
      for (; c < cols; c++) {
        const o = base + c * rows;
        let at = base + r0 * cols + c;
        for (let r = r0; r < rEnd; r++, at += cols) dst[o + r] = src[at];
      }
    }
  }
}

/**
 * `out[j] = Σ_r x[r·inner + j]` for `rows` rows: a sum over leading axes, accumulated in float64
 * four rows at a time (the rows are read in order, so it streams at memory speed).
 */
export function sumLeadingRows(x: Float32Array, out: Float32Array, rows: number, inner: number): void {
  const acc = new Float64Array(inner);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a = r * inner;
    const b = a + inner;
    const c = b + inner;
    const d = c + inner;
    for (let j = 0; j < inner; j++) acc[j] += x[a + j] + x[b + j] + (x[c + j] + x[d + j]);
  }
  for (; r < rows; r++) {
    const a = r * inner;
    for (let j = 0; j < inner; j++) acc[j] += x[a + j];
  }
  out.set(acc);
}

/** Rows shorter than this (in 32-bit words) are copied word by word: each `copyWithin` is a call into a C++ builtin (~0.1 µs). */
const SHORT_ROW = 64;

/** The native row copier (byte offsets, word strides), when the native kernels are active. */
export type NativeRowCopier = (heap: Int32Array, fromByte: number, fromStride: number, toByte: number, toStride: number, rows: number, length: number) => void;

// Set by syncFusedKernels while the native kernels are active (importing them here would be circular).
let nativeCopier: NativeRowCopier | undefined;

/** Sets (or clears) the native copier {@link copyRows} prefers. */
export function setNativeRowCopier(copier: NativeRowCopier | undefined): void {
  nativeCopier = copier;
}

/**
 * Copies `rows` rows of `length` words inside one heap view: row r goes from `from + r·fromStride`
 * to `to + r·toStride` (word indices). Bit-exact (NaN payloads included). With the native kernels
 * it is one N-API call (a memcpy per row); without, long rows go through `copyWithin` (memmove)
 * and short ones through a plain loop. A split or concat over a last axis of 16 values (RoPE's
 * rotate-half) took ~0.8 ms per `[2, 128, 64, 32]` either way in JS.
 */
export function copyRows(heap: Int32Array, from: number, fromStride: number, to: number, toStride: number, rows: number, length: number): void {
  if (nativeCopier !== undefined && rows > 1) {
    nativeCopier(heap, 4 * from, fromStride, 4 * to, toStride, rows, length);
    return;
  }
  if (length >= SHORT_ROW) {
    for (let r = 0; r < rows; r++, from += fromStride, to += toStride) heap.copyWithin(to, from, from + length);
    return;
  }
  for (let r = 0; r < rows; r++, from += fromStride, to += toStride) {
    for (let i = 0; i < length; i++) heap[to + i] = heap[from + i];
  }
}
