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
