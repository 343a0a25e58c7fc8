import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, heapOffset } from '../../kernels/wasm-backend-internals';
import { withOutputs } from '../native-outputs';

/** Kernel name: inputs `{x, cos, sinSigned}`, attrs {@link RopePackedAttrs}, output shaped like `x`. */
export const ROPE_PACKED = 'FloeRopePacked';

/** Names of the wasm kernels this family registers with the fused kernels. */
export const ROPE_PACKED_KERNELS: readonly string[] = [ROPE_PACKED];

/** Attributes of {@link ROPE_PACKED}. */
export interface RopePackedAttrs {
  batch: number;
  heads: number;
  /** The gradient: rotates back (`dx[j] = dy[j]·cos[j] + dy[p(j)]·sinSigned[p(j)]`). */
  inverse: boolean;
}

/**
 * True when the kernel takes these operands: float32 `x [B·T, 3·D]` (every head's query, then
 * keys, then values) and float32 RoPE tables `[B or 1, 1, T, headDim]` with an even headDim.
 */
export function ropePackedSupports(x: TensorInfo, cos: TensorInfo, sinSigned: TensorInfo, batch: number, heads: number): boolean {
  if ([x, cos, sinSigned].some((t) => t.dtype !== 'float32') || x.shape.length !== 2 || cos.shape.length !== 4) return false;
  const [n, width] = x.shape;
  if (!(batch > 0) || n % batch !== 0 || width % (3 * heads) !== 0) return false;
  const t = n / batch;
  const headDim = width / (3 * heads);
  const [tb, one, tt, hd] = cos.shape;
  return headDim % 2 === 0 && (tb === 1 || tb === batch) && one === 1 && tt === t && hd === headDim && tf.util.arraysEqual(cos.shape, sinSigned.shape);
}

/** Addon entry point (native/kernels/src/napi_rope_packed.cc). */
export interface RopePackedAddon {
  /**
   * RoPE on the query and key blocks of float32 `x [batch·seq, 3·heads·headDim]` into `out` (values
   * copied), with tables `[tableBatch, seq, headDim]`; `inverse` for the gradient. Offsets in bytes.
   */
  ropePacked(
    heap: Uint8Array | ArrayBuffer,
    xOffset: number,
    cosOffset: number,
    sinOffset: number,
    outOffset: number,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    tableBatch: number,
    inverse: boolean,
  ): void;
}

/**
 * RoPE on the query and key blocks of a packed projection in one native pass (values copied):
 * `out[i] = x[i]·cos[i] + x[p(i)]·sinSigned[i]`, p swapping the halves of each head, each
 * product and the sum rounded to float32 as the composite's `mul`, `mul`, `add` are. Replaces
 * the composite's split, concat and three full-size ops (and their gradients).
 */
function forward(addon: RopePackedAddon): KernelFunc {
  return (args) => {
    const { x, cos, sinSigned } = args.inputs as { x: TensorInfo; cos: TensorInfo; sinSigned: TensorInfo };
    const { batch, heads, inverse } = args.attrs as unknown as RopePackedAttrs;
    if (!ropePackedSupports(x, cos, sinSigned, batch, heads)) {
      throw new Error(
        `${ROPE_PACKED}: expected float32 x [B·T, 3·D] (B ${batch}, ${heads} heads, even head dim) and tables [1 or B, 1, T, headDim], got ${x.dtype} [${x.shape.join(', ')}] and [${cos.shape.join(', ')}]`,
      );
    }
    const backend = asWasmBackend(args.backend);
    const [n, width] = x.shape;
    const [out] = withOutputs(backend, [x.shape], (heap, [outOff]) => {
      if (n * width > 0) {
        addon.ropePacked(heap, heapOffset(backend, x), heapOffset(backend, cos), heapOffset(backend, sinSigned), outOff, batch, n / batch, heads, width / (3 * heads), cos.shape[0], inverse === true);
      }
    });
    return out;
  };
}

/** The kernel config, computing on `addon` (none from an addon built before it existed). */
export function ropePackedKernelConfigs(addon: Partial<RopePackedAddon>): KernelConfig[] {
  if (typeof addon.ropePacked !== 'function') return [];
  return [{ kernelName: ROPE_PACKED, backendName: 'wasm', kernelFunc: forward(addon as RopePackedAddon) }];
}

/** Attributes as tfjs passes them to a kernel. */
export function ropePackedAttrs(attrs: RopePackedAttrs): NamedAttrMap {
  return attrs as unknown as NamedAttrMap;
}
