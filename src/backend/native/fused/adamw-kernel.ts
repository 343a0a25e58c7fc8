import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, heapOffset, type WasmBackendInternals } from '../../kernels/wasm-backend-internals';

/** Addon entry points of the fused AdamW update (native/kernels/src/napi_adamw.cc). */
export interface AdamWAddon {
  /**
   * One Adam step of many variables, writing new buffers (inputs are only read). `table` holds 11
   * numbers per variable: byte offsets of param, grad, m, v (m, v: -1 on the first update, read
   * as zeros), new param, new m, new v; then the size in floats, `lr / (1 - beta1^t)`,
   * `sqrt(1 - beta2^t)` and the decay flag (0/1). `hyper`: beta1, 1 - beta1, beta2, 1 - beta2,
   * eps, decay mode (see {@link ADAM_DECAY_MODES}), decay value (`1 - lr*wd` decoupled, `wd` L2),
   * byte offset of a float32 gradient scale (-1: none). Throws, writing nothing, on a range outside
   * the heap or an output overlapping another operand.
   */
  adamUpdate(heap: Uint8Array | ArrayBuffer, table: Float64Array, hyper: Float64Array): void;
}

/** The fused Adam/AdamW update of all variables of a step (registered on wasm while native is active). */
export const ADAM_UPDATE_KERNEL = 'FloeAdamUpdate';

/** Names of the wasm kernels this family registers when native is active. */
export const ADAMW_KERNELS: readonly string[] = [ADAM_UPDATE_KERNEL];

/** Codes of the decay modes of {@link AdamWAddon.adamUpdate}. */
export const ADAM_DECAY_MODES = { none: 0, decoupled: 1, l2: 2 } as const;

/** How weight decay enters a decayed variable's update: AdamW's `p *= 1 - lr*wd` or Adam's `g += wd*p`. */
export type AdamDecayMode = keyof typeof ADAM_DECAY_MODES;

/**
 * Attributes of {@link ADAM_UPDATE_KERNEL}. Its inputs are `param<i>`, `grad<i>` and, after the
 * first update, `m<i>`, `v<i>` for each variable i, plus an optional float32 scalar `scale` that
 * multiplies every gradient first. Its outputs are new param, m and v, three per variable, in order.
 */
export interface AdamUpdateAttrs {
  /** Per variable: `lr / (1 - beta1^t)` with t its own update count (float64 on the host). */
  stepSizes: number[];
  /** Per variable: `sqrt(1 - beta2^t)` (float64 on the host). */
  bias2Sqrts: number[];
  /** Per variable: whether weight decay applies to it. */
  decays: boolean[];
  /** Decay rate of the first moment. */
  beta1: number;
  /** Decay rate of the second moment. */
  beta2: number;
  /** Added to the bias-corrected root of `v`. */
  eps: number;
  /** How decayed variables are decayed. */
  decay: AdamDecayMode;
  /** `1 - lr*wd` for `decoupled`, `wd` for `l2`; unused for `none`. */
  decayValue: number;
}

const TABLE_FIELDS = 11;

/** Input name of one variable's operand: `param3`, `grad3`, `m3`, `v3`. */
export function adamUpdateInputName(operand: 'param' | 'grad' | 'm' | 'v', index: number): string {
  return `${operand}${index}`;
}

function float32Input(inputs: Record<string, TensorInfo | undefined>, name: string, size: number | undefined): TensorInfo | undefined {
  const x = inputs[name];
  if (x === undefined) return undefined;
  if (x.dtype !== 'float32') throw new Error(`${ADAM_UPDATE_KERNEL}: input '${name}' must be float32, got ${x.dtype}`);
  const n = x.shape.reduce((a, b) => a * b, 1);
  if (size !== undefined && n !== size) throw new Error(`${ADAM_UPDATE_KERNEL}: input '${name}' has ${n} values, its param ${size}`);
  return x;
}

interface VariableOperands {
  param: TensorInfo;
  grad: TensorInfo;
  m: TensorInfo | undefined;
  v: TensorInfo | undefined;
  size: number;
}

function variableOperands(inputs: Record<string, TensorInfo | undefined>, index: number): VariableOperands {
  const name = (operand: 'param' | 'grad' | 'm' | 'v'): string => adamUpdateInputName(operand, index);
  const param = float32Input(inputs, name('param'), undefined);
  if (param === undefined) throw new Error(`${ADAM_UPDATE_KERNEL}: input '${name('param')}' is missing`);
  const size = param.shape.reduce((a, b) => a * b, 1);
  const grad = float32Input(inputs, name('grad'), size);
  if (grad === undefined) throw new Error(`${ADAM_UPDATE_KERNEL}: input '${name('grad')}' is missing`);
  return { param, grad, m: float32Input(inputs, name('m'), size), v: float32Input(inputs, name('v'), size), size };
}

/**
 * Allocates the outputs (into `outs`, for the caller to free on failure) and builds the addon's
 * table. Every output is made before any offset is read: allocation may grow and detach the heap.
 */
function allocateOutputs(backend: WasmBackendInternals, inputs: Record<string, TensorInfo | undefined>, attrs: AdamUpdateAttrs, outs: TensorInfo[]): Float64Array {
  const count = attrs.stepSizes.length;
  if (attrs.bias2Sqrts.length !== count || attrs.decays.length !== count) {
    throw new Error(`${ADAM_UPDATE_KERNEL}: stepSizes, bias2Sqrts and decays must have one entry per variable`);
  }
  const variables = Array.from({ length: count }, (_, i) => variableOperands(inputs, i));
  for (const x of variables) for (let k = 0; k < 3; k++) outs.push(backend.makeOutput(x.param.shape, 'float32'));
  const offset = (x: TensorInfo | undefined): number => (x === undefined ? -1 : heapOffset(backend, x));
  const table = new Float64Array(count * TABLE_FIELDS);
  variables.forEach((x, i) => {
    const [param, m, v] = outs.slice(3 * i, 3 * i + 3);
    table.set(
      [offset(x.param), offset(x.grad), offset(x.m), offset(x.v), offset(param), offset(m), offset(v), x.size, attrs.stepSizes[i], attrs.bias2Sqrts[i], attrs.decays[i] ? 1 : 0],
      i * TABLE_FIELDS,
    );
  });
  return table;
}

function adamUpdateKernel(addon: AdamWAddon): KernelFunc {
  return (args) => {
    const backend = asWasmBackend(args.backend);
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as unknown as AdamUpdateAttrs;
    const scale = inputs.scale;
    if (scale !== undefined && (scale.dtype !== 'float32' || scale.shape.reduce((a, b) => a * b, 1) !== 1)) {
      throw new Error(`${ADAM_UPDATE_KERNEL}: 'scale' must be one float32 value`);
    }
    if (!(attrs.decay in ADAM_DECAY_MODES)) throw new Error(`${ADAM_UPDATE_KERNEL}: unknown decay mode '${attrs.decay}'`);
    const outs: TensorInfo[] = [];
    try {
      const table = allocateOutputs(backend, inputs, attrs, outs);
      const { beta1, beta2 } = attrs;
      const hyper = Float64Array.of(
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        attrs.eps,
        ADAM_DECAY_MODES[attrs.decay],
        attrs.decayValue,
        scale === undefined ? -1 : heapOffset(backend, scale),
      );
      addon.adamUpdate(backend.wasm.HEAPU8, table, hyper);
    } catch (error) {
      for (const out of outs) backend.disposeData(out.dataId);
      throw error;
    }
    return outs;
  };
}

/** The kernel configs of this family, computing on `addon`. */
export function adamWKernelConfigs(addon: AdamWAddon): KernelConfig[] {
  return [{ kernelName: ADAM_UPDATE_KERNEL, backendName: 'wasm', kernelFunc: adamUpdateKernel(addon) }];
}
