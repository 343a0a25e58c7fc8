import * as fs from 'fs';
import * as path from 'path';
import type { AdamWAddon, AttentionCoreAddon, AttentionSoftmaxAddon, CrossEntropyAddon, GeluNormAddon, RopePackedAddon } from './fused';

/** Instruction sets the native GEMM micro-kernels use; `none` means the addon cannot compute. */
export type NativeIsa = 'avx512' | 'avx2' | 'none';

/** Activation codes of {@link NativeKernelsAddon.gemm}. */
export const NATIVE_ACTIVATIONS = { linear: 0, relu: 1, relu6: 2 } as const;

/**
 * The N-API surface of `native/kernels` (floe_kernels.node). Every call works in place on a heap
 * (a typed array over the wasm memory, or an ArrayBuffer) at byte offsets, and throws without
 * touching memory when a range lies outside the heap's current length.
 */
export interface NativeKernelsAddon extends GeluNormAddon, CrossEntropyAddon, AdamWAddon, AttentionSoftmaxAddon, AttentionCoreAddon, RopePackedAddon {
  info(): { isa: NativeIsa; detectedIsa: NativeIsa; compiler: string };
  /** Forces a lower instruction set (tests); false if the CPU lacks it. */
  setIsa(isa: NativeIsa): boolean;
  /**
   * `C[i] = op(A[i]) · op(B[i]) (+ bias) then activation` for i < batch, row-major; offsets in
   * bytes (bias -1: none), batch strides in floats (0 repeats one matrix), C is `[batch, m, n]`.
   */
  gemm(
    heap: Uint8Array | ArrayBuffer,
    aOffset: number,
    bOffset: number,
    cOffset: number,
    biasOffset: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    aBatchStride: number,
    bBatchStride: number,
    activation: number,
  ): void;
  /**
   * The NHWC forward 2-D convolution, `y [batchSize, outHeight, outWidth, outChannels]` from `x`
   * and the filter `w [filterHeight, filterWidth, inChannels, outChannels]` (offsets in bytes; bias
   * `outChannels` floats or -1 for none; activation as `gemm`'s): every tap's input pixels are
   * gathered into per-thread scratch (kept for the process) and multiplied by `w` in one GEMM per
   * chunk of output rows. Returns the floats of scratch the thread keeps. Missing from addons built before it.
   */
  conv2d?(heap: Uint8Array | ArrayBuffer, xOffset: number, wOffset: number, biasOffset: number, yOffset: number, geometry: NativeConvGeometry, activation: number): number;
  /**
   * The NHWC filter gradient of a 2-D convolution, `dw [filterHeight, filterWidth, inChannels,
   * outChannels]` from `x` and `dy` (offsets in bytes): per group of filter taps, the input rows
   * they read are gathered into per-thread scratch (kept for the process) and multiplied by `dy`
   * in one GEMM. Returns the floats of scratch the thread keeps. Missing from addons built before it.
   */
  conv2dBackpropFilter?(heap: Uint8Array | ArrayBuffer, xOffset: number, dyOffset: number, dwOffset: number, geometry: NativeConvGeometry): number;
  /**
   * The NHWC input gradient of a 2-D convolution, `dx [batchSize, inHeight, inWidth, inChannels]`
   * from `dy` and the filter `w` (offsets in bytes): per group of filter taps one GEMM
   * `dy · w[taps]ᵀ` into per-thread scratch (kept for the process), whose rows are added into the
   * input pixels each tap read. Returns the floats of scratch the thread keeps. Missing from addons built before it.
   */
  conv2dBackpropInput?(heap: Uint8Array | ArrayBuffer, dyOffset: number, wOffset: number, dxOffset: number, geometry: NativeConvGeometry): number;
  /**
   * The NHWC gradient of a 2-D max pool, `dx [batch, inHeight, inWidth, channels]` from `x` and
   * `dy` (offsets in bytes), with the semantics of Floe's JS `MaxPoolGrad` kernel: each window's
   * maximum is its first in-image pixel strictly greater than all before it (from −∞; NaN never
   * wins), and dx sums in float64 in output order, so the result is bit-identical. Missing from
   * addons built before it.
   */
  maxPoolGrad?(heap: Uint8Array | ArrayBuffer, xOffset: number, dyOffset: number, dxOffset: number, geometry: NativePoolGeometry): void;
  /** `out[c] = Σ_r x[r, c]` over a `[rows, cols]` block. */
  sumRows(heap: Uint8Array | ArrayBuffer, xOffset: number, outOffset: number, rows: number, cols: number): void;
  /**
   * Asks Linux for transparent huge pages on the heap's whole 2 MiB pages (madvise
   * `MADV_HUGEPAGE`, then `MADV_COLLAPSE` for pages already touched): fewer TLB misses, ~3% off a
   * training step. True when the advice took; false elsewhere. Missing from addons built before it.
   */
  adviseHugePages?(heap: Uint8Array | ArrayBuffer): boolean;
  /**
   * Copies `rows` rows of `length` 32-bit words: row r from `fromOffset + 4·r·fromStride` to
   * `toOffset + 4·r·toStride` (offsets in bytes, strides in words); the two spans must not overlap.
   * Missing from addons built before it.
   */
  copyRows?(heap: Uint8Array | Int32Array | ArrayBuffer, fromOffset: number, fromStride: number, toOffset: number, toStride: number, rows: number, length: number): void;
  /**
   * `dst[i] = src_0[i] + ... + src_{count-1}[i]` for i < n (float32 adds in slot order), slot r
   * at `srcOffset + 4·r·srcStride` of `src` (offsets in bytes from each array's start, stride in
   * floats): the data-parallel all-reduce's sum over a SharedArrayBuffer's slots. Missing from
   * addons built before it.
   */
  sumSlots?(dst: Float32Array, dstOffset: number, src: Float32Array, srcOffset: number, srcStride: number, count: number, n: number): void;
}

/**
 * Geometry of {@link NativeKernelsAddon.conv2d}, {@link NativeKernelsAddon.conv2dBackpropFilter} and
 * {@link NativeKernelsAddon.conv2dBackpropInput}: the fields of tfjs's `Conv2DInfo`
 * of the same names, with `padTop`/`padLeft` from its `padInfo`.
 */
export interface NativeConvGeometry {
  /** Batch size of `x` and `dy`. */
  batchSize: number;
  /** Rows of `x`. */
  inHeight: number;
  /** Columns of `x`. */
  inWidth: number;
  /** Channels of `x`. */
  inChannels: number;
  /** Rows of `dy`. */
  outHeight: number;
  /** Columns of `dy`. */
  outWidth: number;
  /** Channels of `dy`. */
  outChannels: number;
  /** Filter rows (undilated). */
  filterHeight: number;
  /** Filter columns (undilated). */
  filterWidth: number;
  /** Row stride, at least 1. */
  strideHeight: number;
  /** Column stride, at least 1. */
  strideWidth: number;
  /** Row dilation, at least 1. */
  dilationHeight: number;
  /** Column dilation, at least 1. */
  dilationWidth: number;
  /** Padding rows above the input. */
  padTop: number;
  /** Padding columns left of the input. */
  padLeft: number;
}

/**
 * Geometry of {@link NativeKernelsAddon.maxPoolGrad}: a 2-D pool's windows (Floe's `PoolWindows`
 * without the depth axis; window sizes are the effective ones).
 */
export interface NativePoolGeometry {
  /** Batch size of `x`, `dy` and `dx`. */
  batch: number;
  /** Rows of `x`. */
  inHeight: number;
  /** Columns of `x`. */
  inWidth: number;
  /** Channels of `x` and `dy`. */
  channels: number;
  /** Rows of `dy`. */
  outHeight: number;
  /** Columns of `dy`. */
  outWidth: number;
  /** Window rows, at least 1. */
  filterHeight: number;
  /** Window columns, at least 1. */
  filterWidth: number;
  /** Row stride, at least 1. */
  strideHeight: number;
  /** Column stride, at least 1. */
  strideWidth: number;
  /** Padding rows above the input. */
  padTop: number;
  /** Padding columns left of the input. */
  padLeft: number;
}

/** The addon, or why it could not be loaded. */
export type AddonLoad = { addon: NativeKernelsAddon; file: string } | { addon?: undefined; reason: string };

let cached: AddonLoad | undefined;

/** native/kernels/ of this checkout or package: searched upwards from this file (src/ or dist/src/). */
export function nativeKernelsDir(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'native', 'kernels');
    if (fs.existsSync(path.join(candidate, 'binding.gyp'))) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** Loads `native/kernels/build/Release/floe_kernels.node` once; never throws. */
export function loadNativeKernelsAddon(): AddonLoad {
  if (cached !== undefined) return cached;
  const dir = nativeKernelsDir();
  const file = dir === undefined ? undefined : path.join(dir, 'build', 'Release', 'floe_kernels.node');
  if (file === undefined || !fs.existsSync(file)) {
    cached = { reason: 'addon not built (npm run build:native builds it when a C++ compiler is present)' };
    return cached;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = { addon: require(file) as NativeKernelsAddon, file };
  } catch (error) {
    cached = { reason: `addon failed to load: ${(error as Error).message}` };
  }
  return cached;
}
