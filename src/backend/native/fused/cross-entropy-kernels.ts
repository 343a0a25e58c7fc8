import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, heapOffset } from '../../kernels/wasm-backend-internals';
import { withOutputs } from '../native-outputs';

/** Addon entry points of the fused softmax cross-entropy kernels (native/kernels/src/napi_cross_entropy.cc). */
export interface CrossEntropyAddon {
  /**
   * Per row of float32 `logits [rows, cols]` with int32 `labels [rows]`: `loss[r] = lse − x[label]`
   * (0 for a label outside `[0, cols)`) and `stats [rows, 2]` = (row max, log Σ exp(x − max)), the
   * backward's only saved state. Offsets in bytes.
   */
  softmaxCrossEntropy(heap: Uint8Array | ArrayBuffer, logitsOffset: number, labelsOffset: number, lossOffset: number, statsOffset: number, rows: number, cols: number): void;
  /**
   * `dx [rows, cols] = (softmax(x) − onehot(label)) · dy[r]`, softmax recomputed from `stats`;
   * rows whose label is out of range get 0. Offsets in bytes.
   */
  softmaxCrossEntropyGrad(
    heap: Uint8Array | ArrayBuffer,
    logitsOffset: number,
    labelsOffset: number,
    statsOffset: number,
    dyOffset: number,
    dxOffset: number,
    rows: number,
    cols: number,
  ): void;
}

/** Kernel name of the fused forward: inputs `{logits, labels}`, outputs `[loss, stats]`. */
export const SOFTMAX_CROSS_ENTROPY = 'FloeSoftmaxCrossEntropy';
/** Kernel name of the fused backward: inputs `{logits, labels, stats, dy}`, output `dlogits`. */
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'FloeSoftmaxCrossEntropyGrad';

/** Names of the wasm kernels this family registers when native is active. */
export const CROSS_ENTROPY_KERNELS: readonly string[] = [SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD];

/** `[rows, cols]` of logits whose last axis is the class axis; checks the label (and other per-row) inputs. */
function rowsAndCols(kernel: string, logits: TensorInfo, perRow: Array<[string, TensorInfo, 'float32' | 'int32', number]>): [number, number] {
  if (logits.dtype !== 'float32' || logits.shape.length < 1) throw new Error(`${kernel}: logits must be float32 with a class axis`);
  const cols = logits.shape[logits.shape.length - 1];
  const rows = tf.util.sizeFromShape(logits.shape.slice(0, -1));
  for (const [name, info, dtype, width] of perRow) {
    if (info.dtype !== dtype || tf.util.sizeFromShape(info.shape) !== rows * width) {
      throw new Error(`${kernel}: ${name} must be ${dtype} with ${rows * width} values, got ${info.dtype} [${info.shape.join(', ')}]`);
    }
  }
  return [rows, cols];
}

function forward(addon: CrossEntropyAddon): KernelFunc {
  return (args) => {
    const { logits, labels } = args.inputs as { logits: TensorInfo; labels: TensorInfo };
    const [rows, cols] = rowsAndCols(SOFTMAX_CROSS_ENTROPY, logits, [['labels', labels, 'int32', 1]]);
    const backend = asWasmBackend(args.backend);
    return withOutputs(backend, [logits.shape.slice(0, -1), [rows, 2]], (heap, [lossOff, statsOff]) => {
      if (rows > 0) addon.softmaxCrossEntropy(heap, heapOffset(backend, logits), heapOffset(backend, labels), lossOff, statsOff, rows, cols);
    });
  };
}

function backward(addon: CrossEntropyAddon): KernelFunc {
  return (args) => {
    const { logits, labels, stats, dy } = args.inputs as { logits: TensorInfo; labels: TensorInfo; stats: TensorInfo; dy: TensorInfo };
    const [rows, cols] = rowsAndCols(SOFTMAX_CROSS_ENTROPY_GRAD, logits, [
      ['labels', labels, 'int32', 1],
      ['stats', stats, 'float32', 2],
      ['dy', dy, 'float32', 1],
    ]);
    const backend = asWasmBackend(args.backend);
    const [dx] = withOutputs(backend, [logits.shape], (heap, [dxOff]) => {
      if (rows > 0) addon.softmaxCrossEntropyGrad(heap, heapOffset(backend, logits), heapOffset(backend, labels), heapOffset(backend, stats), heapOffset(backend, dy), dxOff, rows, cols);
    });
    return dx;
  };
}

/** The kernel configs of this family, computing on `addon`. */
export function crossEntropyKernelConfigs(addon: CrossEntropyAddon): KernelConfig[] {
  return [
    { kernelName: SOFTMAX_CROSS_ENTROPY, backendName: 'wasm', kernelFunc: forward(addon) },
    { kernelName: SOFTMAX_CROSS_ENTROPY_GRAD, backendName: 'wasm', kernelFunc: backward(addon) },
  ];
}
