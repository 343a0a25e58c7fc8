import { convSelfTest } from './native-conv-self-test';
import type { NativeKernelsAddon } from './native-kernels-addon';
import { poolSelfTest } from './native-pool-self-test';

/** Shapes of the start-up check: odd sizes, every transpose, a bias, a batch, a misaligned offset. */
const CASES: ReadonlyArray<{ m: number; n: number; k: number; ta: boolean; tb: boolean; batch: number; bias: boolean }> = [
  { m: 19, n: 37, k: 300, ta: false, tb: false, batch: 1, bias: true },
  { m: 9, n: 33, k: 17, ta: true, tb: false, batch: 2, bias: false },
  { m: 13, n: 7, k: 5, ta: false, tb: true, batch: 3, bias: true },
  { m: 40, n: 65, k: 3, ta: true, tb: true, batch: 1, bias: false },
];

/**
 * Runs small GEMMs (and a row sum, and the conv and max-pool gradients the addon has) through the addon on a
 * private buffer and compares them with a float64 JS reference. Returns undefined when all agree,
 * else what went wrong.
 */
export function nativeSelfTest(addon: NativeKernelsAddon): string | undefined {
  let seed = 12345;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  try {
    for (const c of CASES) {
      const aSize = c.m * c.k;
      const bSize = c.k * c.n;
      const cSize = c.m * c.n;
      const floats = c.batch * (aSize + bSize + cSize) + c.n;
      const base = 4; // 4-byte but not 16-byte aligned, as wasm tensors may be
      const heap = new ArrayBuffer(base + floats * 4);
      const all = new Float32Array(heap, base, floats);
      for (let i = 0; i < all.length; i++) all[i] = next();
      const aOff = base;
      const bOff = aOff + c.batch * aSize * 4;
      const cOff = bOff + c.batch * bSize * 4;
      const biasOff = cOff + c.batch * cSize * 4;
      addon.gemm(new Uint8Array(heap), aOff, bOff, cOff, c.bias ? biasOff : -1, c.batch, c.m, c.n, c.k, c.ta, c.tb, aSize, bSize, 0);
      const a = new Float32Array(heap, aOff, c.batch * aSize);
      const b = new Float32Array(heap, bOff, c.batch * bSize);
      const out = new Float32Array(heap, cOff, c.batch * cSize);
      const bias = new Float32Array(heap, biasOff, c.n);
      for (let s = 0; s < c.batch; s++) {
        for (let i = 0; i < c.m; i++) {
          for (let j = 0; j < c.n; j++) {
            let sum = c.bias ? bias[j] : 0;
            for (let p = 0; p < c.k; p++) {
              const av = c.ta ? a[s * aSize + p * c.m + i] : a[s * aSize + i * c.k + p];
              const bv = c.tb ? b[s * bSize + j * c.k + p] : b[s * bSize + p * c.n + j];
              sum += av * bv;
            }
            const got = out[s * cSize + i * c.n + j];
            if (!(Math.abs(got - sum) <= 1e-4 * (1 + Math.abs(sum)))) {
              return `self-test GEMM ${c.m}x${c.n}x${c.k} (transposeA ${c.ta}, transposeB ${c.tb}) gave ${got}, expected ${sum}`;
            }
          }
        }
      }
    }
    const rows = 5;
    const cols = 11;
    const heap = new ArrayBuffer(4 * (rows * cols + cols + 1));
    const x = new Float32Array(heap, 4, rows * cols);
    for (let i = 0; i < x.length; i++) x[i] = next();
    addon.sumRows(new Uint8Array(heap), 4, 4 + rows * cols * 4, rows, cols);
    const sums = new Float32Array(heap, 4 + rows * cols * 4, cols);
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += x[r * cols + j];
      if (!(Math.abs(sums[j] - sum) <= 1e-5)) return `self-test sumRows gave ${sums[j]}, expected ${sum}`;
    }
    const conv = convSelfTest(addon, addon.info().isa, next);
    if (conv !== undefined) return conv;
    const pool = poolSelfTest(addon, next);
    if (pool !== undefined) return pool;
  } catch (error) {
    return `self-test threw: ${(error as Error).message}`;
  }
  return undefined;
}
