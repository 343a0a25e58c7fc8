/**
 * Plain-JS loops over wasm-heap typed arrays, for memory-bound kernels where tfjs-backend-wasm's
 * generic C++ loops are slow (its Transpose runs ~5 ns per element; V8's JIT runs these ~1 ns).
 */

/** Side of the square tiles of {@link transposeBlocks}: 16×16 floats stay in L1 on both sides. */
const TILE = 16;

/**
 * `dst[b, c, r] = src[b, r, c]` for `batch` matrices of `rows × cols`, tile by tile so that
 * neither the reads nor the writes stride through memory for long.
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
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const rEnd = Math.min(r0 + TILE, rows);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const cEnd = Math.min(c0 + TILE, cols);
        for (let c = c0; c < cEnd; c++) {
          const out = base + c * rows;
          let at = base + r0 * cols + c;
          for (let r = r0; r < rEnd; r++, at += cols) dst[out + r] = src[at];
        }
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
