import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, heapOffset } from '../../kernels/wasm-backend-internals';
import { withOutputs } from '../native-outputs';

/** Addon entry points of the fused attention softmax kernels (native/kernels/src/napi_attention_softmax.cc). */
export interface AttentionSoftmaxAddon {
  /**
   * `probs = softmax(scores + mask)` over the last axis of float32 `scores [batch, heads, rows, cols]`,
   * with `mask [maskBatch, 1, rows, cols]` (`maskBatch` 1 or `batch`) broadcast over heads (and
   * batch). Offsets in bytes; `probs` is shaped like `scores`.
   */
  attentionSoftmax(
    heap: Uint8Array | ArrayBuffer,
    scoresOffset: number,
    maskOffset: number,
    probsOffset: number,
    batch: number,
    heads: number,
    rows: number,
    cols: number,
    maskBatch: number,
  ): void;
  /** Softmax's gradient per row of `[rows, cols]`: `dx = p ⊙ dy − (Σ_row p ⊙ dy) ⊙ p`. Offsets in bytes. */
  attentionSoftmaxGrad(heap: Uint8Array | ArrayBuffer, probsOffset: number, dyOffset: number, dxOffset: number, rows: number, cols: number): void;
}

/** Kernel name of the fused forward: inputs `{scores, mask}`, output `probs`. */
export const ATTENTION_SOFTMAX = 'FloeAttentionSoftmax';
/** Kernel name of the fused backward: inputs `{probs, dy}`, output `dscores`. */
export const ATTENTION_SOFTMAX_GRAD = 'FloeAttentionSoftmaxGrad';

/** Names of the wasm kernels this family registers when native is active. */
export const ATTENTION_SOFTMAX_KERNELS: readonly string[] = [ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GRAD];

/**
 * True when the fused forward takes these operands: float32 `scores [B, H, Tq, Tk]` and a float32
 * `mask [1 or B, 1, Tq, Tk]`. Other broadcasts go to the composite.
 */
export function attentionSoftmaxSupports(scores: { shape: number[]; dtype: string }, mask: { shape: number[]; dtype: string }): boolean {
  if (scores.dtype !== 'float32' || mask.dtype !== 'float32' || scores.shape.length !== 4 || mask.shape.length !== 4) return false;
  const [b, , tq, tk] = scores.shape;
  const [mb, mh, mq, mk] = mask.shape;
  return (mb === 1 || mb === b) && mh === 1 && mq === tq && mk === tk;
}

function forward(addon: AttentionSoftmaxAddon): KernelFunc {
  return (args) => {
    const { scores, mask } = args.inputs as { scores: TensorInfo; mask: TensorInfo };
    if (!attentionSoftmaxSupports(scores, mask)) {
      throw new Error(`${ATTENTION_SOFTMAX}: expected float32 scores [B, H, Tq, Tk] and mask [1 or B, 1, Tq, Tk], got ${scores.dtype} [${scores.shape.join(', ')}] and ${mask.dtype} [${mask.shape.join(', ')}]`);
    }
    const [b, h, tq, tk] = scores.shape;
    const backend = asWasmBackend(args.backend);
    const [probs] = withOutputs(backend, [scores.shape], (heap, [probsOff]) => {
      if (b * h * tq * tk > 0) addon.attentionSoftmax(heap, heapOffset(backend, scores), heapOffset(backend, mask), probsOff, b, h, tq, tk, mask.shape[0]);
    });
    return probs;
  };
}

function backward(addon: AttentionSoftmaxAddon): KernelFunc {
  return (args) => {
    const { probs, dy } = args.inputs as { probs: TensorInfo; dy: TensorInfo };
    if (probs.dtype !== 'float32' || dy.dtype !== 'float32' || probs.shape.length < 1 || !tf.util.arraysEqual(probs.shape, dy.shape)) {
      throw new Error(`${ATTENTION_SOFTMAX_GRAD}: probs and dy must be float32 of one shape, got ${probs.dtype} [${probs.shape.join(', ')}] and ${dy.dtype} [${dy.shape.join(', ')}]`);
    }
    const cols = probs.shape[probs.shape.length - 1];
    const rows = tf.util.sizeFromShape(probs.shape.slice(0, -1));
    const backend = asWasmBackend(args.backend);
    const [dx] = withOutputs(backend, [probs.shape], (heap, [dxOff]) => {
      if (rows * cols > 0) addon.attentionSoftmaxGrad(heap, heapOffset(backend, probs), heapOffset(backend, dy), dxOff, rows, cols);
    });
    return dx;
  };
}

/** The kernel configs of this family, computing on `addon`. */
export function attentionSoftmaxKernelConfigs(addon: AttentionSoftmaxAddon): KernelConfig[] {
  return [
    { kernelName: ATTENTION_SOFTMAX, backendName: 'wasm', kernelFunc: forward(addon) },
    { kernelName: ATTENTION_SOFTMAX_GRAD, backendName: 'wasm', kernelFunc: backward(addon) },
  ];
}
