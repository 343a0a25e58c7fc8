import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, heapOffset } from '../../kernels/wasm-backend-internals';
import { withOutputs } from '../native-outputs';

/** Addon entry points of the fused attention core (native/kernels/src/napi_attention_core.cc). */
export interface AttentionCoreAddon {
  /**
   * For float32 `qkv [batch·seq, 3·heads·headDim]` (per token every head's query, then keys, then
   * values) and an additive `mask [maskBatch, 1, seq, seq]` (`maskBatch` 1 or `batch`):
   * `probs [batch, heads, seq, seq] = softmax(scale · Q Kᵀ + mask)` and
   * `out [batch·seq, heads·headDim] = probs · V`, each head in place. Offsets in bytes.
   */
  attentionCore(
    heap: Uint8Array | ArrayBuffer,
    qkvOffset: number,
    maskOffset: number,
    outOffset: number,
    probsOffset: number,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    maskBatch: number,
    scale: number,
  ): void;
  /** `dqkv` (qkv's layout) from the saved `probs` and `dout [batch·seq, heads·headDim]`. Offsets in bytes. */
  attentionCoreGrad(
    heap: Uint8Array | ArrayBuffer,
    qkvOffset: number,
    probsOffset: number,
    doutOffset: number,
    dqkvOffset: number,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    scale: number,
  ): void;
}

/** Kernel name of the fused forward: inputs `{qkv, mask}`, attrs {@link AttentionCoreAttrs}, outputs `[out, probs]`. */
export const ATTENTION_CORE = 'FloeAttentionCore';
/** Kernel name of the fused backward: inputs `{qkv, probs, dy}`, same attrs, output `dqkv`. */
export const ATTENTION_CORE_GRAD = 'FloeAttentionCoreGrad';

/** Names of the wasm kernels this family registers when native is active. */
export const ATTENTION_CORE_KERNELS: readonly string[] = [ATTENTION_CORE, ATTENTION_CORE_GRAD];

/** Attributes of both kernels. */
export interface AttentionCoreAttrs {
  batch: number;
  heads: number;
  /** Multiplies q·kᵀ, usually 1/√headDim. */
  scale: number;
}

/**
 * True when the fused kernels take these operands: float32 `qkv [B·T, 3·D]` with `D` a multiple
 * of `heads`, and a float32 `mask [1 or B, 1, T, T]`.
 */
export function attentionCoreSupports(qkv: { shape: number[]; dtype: string }, mask: { shape: number[]; dtype: string }, batch: number, heads: number): boolean {
  if (qkv.dtype !== 'float32' || mask.dtype !== 'float32' || qkv.shape.length !== 2 || mask.shape.length !== 4) return false;
  const [n, width] = qkv.shape;
  const [mb, mh, mq, mk] = mask.shape;
  if (!(batch > 0) || n % batch !== 0 || width % (3 * heads) !== 0) return false;
  const t = n / batch;
  return (mb === 1 || mb === batch) && mh === 1 && mq === t && mk === t;
}

function dims(qkv: TensorInfo, attrs: AttentionCoreAttrs): { b: number; t: number; h: number; hd: number } {
  const [n, width] = qkv.shape;
  return { b: attrs.batch, t: n / attrs.batch, h: attrs.heads, hd: width / (3 * attrs.heads) };
}

function forward(addon: AttentionCoreAddon): KernelFunc {
  return (args) => {
    const { qkv, mask } = args.inputs as { qkv: TensorInfo; mask: TensorInfo };
    const attrs = args.attrs as unknown as AttentionCoreAttrs;
    if (!attentionCoreSupports(qkv, mask, attrs.batch, attrs.heads)) {
      throw new Error(
        `${ATTENTION_CORE}: expected float32 qkv [B·T, 3·D] (D a multiple of heads ${attrs.heads}, B ${attrs.batch}) and mask [1 or B, 1, T, T], got ${qkv.dtype} [${qkv.shape.join(', ')}] and ${mask.dtype} [${mask.shape.join(', ')}]`,
      );
    }
    const { b, t, h, hd } = dims(qkv, attrs);
    const backend = asWasmBackend(args.backend);
    return withOutputs(backend, [[b * t, h * hd], [b, h, t, t]], (heap, [outOff, probsOff]) => {
      if (b * t * h * hd > 0) addon.attentionCore(heap, heapOffset(backend, qkv), heapOffset(backend, mask), outOff, probsOff, b, t, h, hd, mask.shape[0], attrs.scale);
    });
  };
}

function backward(addon: AttentionCoreAddon): KernelFunc {
  return (args) => {
    const { qkv, probs, dy } = args.inputs as { qkv: TensorInfo; probs: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as AttentionCoreAttrs;
    const { b, t, h, hd } = dims(qkv, attrs);
    const ok = [qkv, probs, dy].every((x) => x.dtype === 'float32') && tf.util.arraysEqual(probs.shape, [b, h, t, t]) && tf.util.arraysEqual(dy.shape, [b * t, h * hd]);
    if (!ok || !Number.isInteger(t) || !Number.isInteger(hd)) {
      throw new Error(
        `${ATTENTION_CORE_GRAD}: expected float32 qkv [B·T, 3·D], probs [B, H, T, T] and dy [B·T, D] for B ${attrs.batch}, H ${attrs.heads}; got [${qkv.shape.join(', ')}], [${probs.shape.join(', ')}], [${dy.shape.join(', ')}]`,
      );
    }
    const backend = asWasmBackend(args.backend);
    const [dqkv] = withOutputs(backend, [qkv.shape], (heap, [dqkvOff]) => {
      if (b * t * h * hd > 0) addon.attentionCoreGrad(heap, heapOffset(backend, qkv), heapOffset(backend, probs), heapOffset(backend, dy), dqkvOff, b, t, h, hd, attrs.scale);
    });
    return dqkv;
  };
}

/** The kernel configs of this family, computing on `addon` (none from an addon built before it existed). */
export function attentionCoreKernelConfigs(addon: Partial<AttentionCoreAddon>): KernelConfig[] {
  if (typeof addon.attentionCore !== 'function' || typeof addon.attentionCoreGrad !== 'function') return [];
  const full = addon as AttentionCoreAddon;
  return [
    { kernelName: ATTENTION_CORE, backendName: 'wasm', kernelFunc: forward(full) },
    { kernelName: ATTENTION_CORE_GRAD, backendName: 'wasm', kernelFunc: backward(full) },
  ];
}

/** Attributes as tfjs passes them to a kernel. */
export function attentionCoreAttrs(attrs: AttentionCoreAttrs): NamedAttrMap {
  return attrs as unknown as NamedAttrMap;
}
