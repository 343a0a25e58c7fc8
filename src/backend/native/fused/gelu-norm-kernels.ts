import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, heapOffset } from '../../kernels/wasm-backend-internals';
import { withOutputs } from '../native-outputs';

/** Addon entry points of the fused GELU and LayerNorm kernels (native/kernels/src/napi_gelu_norm.cc). */
export interface GeluNormAddon {
  /**
   * `y = x·σ(x·(a + b·x²))` over `count` floats: kind 0 GELU, tanh form (`a = 2√(2/π)`,
   * `b = 0.044715a`), kind 1 SiLU (`a = 1`, `b = 0`). Offsets in bytes; `y` must not overlap `x`.
   */
  gateForward(heap: Uint8Array | ArrayBuffer, kind: number, xOffset: number, yOffset: number, count: number): void;
  /** `dx = dy · y'(x)` over `count` floats (σ recomputed from `x`); `dx` must not overlap `dy` or `x`. */
  gateBackward(heap: Uint8Array | ArrayBuffer, kind: number, dyOffset: number, xOffset: number, dxOffset: number, count: number): void;
  /**
   * LayerNorm (`centre`) or RMSNorm over the rows of a `[rows, cols]` block: `y = xhat·w (+ b)`
   * (bOffset -1: no bias), and the per-row mean (0 for RMSNorm) and `rstd` for the backward.
   */
  normForward(
    heap: Uint8Array | ArrayBuffer,
    xOffset: number,
    wOffset: number,
    bOffset: number,
    yOffset: number,
    meanOffset: number,
    rstdOffset: number,
    rows: number,
    cols: number,
    eps: number,
    centre: boolean,
  ): void;
  /** Backward of {@link GeluNormAddon.normForward}: `dx`, `dw = Σ dy·xhat`, `db = Σ dy` (dbOffset -1: none). */
  normBackward(
    heap: Uint8Array | ArrayBuffer,
    dyOffset: number,
    xOffset: number,
    wOffset: number,
    meanOffset: number,
    rstdOffset: number,
    dxOffset: number,
    dwOffset: number,
    dbOffset: number,
    rows: number,
    cols: number,
    centre: boolean,
  ): void;
}

/** GELU, tanh approximation: inputs `{x}` → `y`. */
export const FLOE_GELU_TANH = 'FloeGeluTanh';
/** Gradient of {@link FLOE_GELU_TANH}: inputs `{dy, x}` → `dx`. */
export const FLOE_GELU_TANH_GRAD = 'FloeGeluTanhGrad';
/** SiLU: inputs `{x}` → `y`. */
export const FLOE_SILU = 'FloeSilu';
/** Gradient of {@link FLOE_SILU}: inputs `{dy, x}` → `dx`. */
export const FLOE_SILU_GRAD = 'FloeSiluGrad';
/**
 * LayerNorm (attr `centre: true`) or RMSNorm (`centre: false`) over the last axis, attr `eps`:
 * inputs `{x, weight, bias?}` → `[y, mean, rstd]` (mean and rstd per row; mean 0 for RMSNorm).
 */
export const FLOE_NORM = 'FloeLayerNorm';
/** Gradient of {@link FLOE_NORM}, attrs `centre`, `hasBias`: inputs `{dy, x, weight, mean, rstd}` → `[dx, dw, db?]`. */
export const FLOE_NORM_GRAD = 'FloeLayerNormGrad';

/** Names of the wasm kernels this family registers when native is active. */
export const GELU_NORM_KERNELS: readonly string[] = [FLOE_GELU_TANH, FLOE_GELU_TANH_GRAD, FLOE_SILU, FLOE_SILU_GRAD, FLOE_NORM, FLOE_NORM_GRAD];

const GATE_KINDS = { gelu: 0, silu: 1 } as const;

function requireFloat32(kernel: string, inputs: Record<string, TensorInfo | undefined>): void {
  for (const [name, info] of Object.entries(inputs)) {
    if (info !== undefined && info.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' must be float32, got ${info.dtype}`);
  }
}

function gateForward(addon: GeluNormAddon, name: string, kind: number): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    requireFloat32(name, { x });
    const backend = asWasmBackend(args.backend);
    const [y] = withOutputs(backend, [x.shape], (heap, [yOff]) => addon.gateForward(heap, kind, heapOffset(backend, x), yOff, tf.util.sizeFromShape(x.shape)));
    return y;
  };
}

function gateBackward(addon: GeluNormAddon, name: string, kind: number): KernelFunc {
  return (args) => {
    const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
    requireFloat32(name, { dy, x });
    tf.util.assertShapesMatch(dy.shape, x.shape, `${name}: dy and x`);
    const backend = asWasmBackend(args.backend);
    const [dx] = withOutputs(backend, [x.shape], (heap, [dxOff]) =>
      addon.gateBackward(heap, kind, heapOffset(backend, dy), heapOffset(backend, x), dxOff, tf.util.sizeFromShape(x.shape)),
    );
    return dx;
  };
}

/** `[rows, cols]` of `x` (normalised over the last axis), checking `params` hold `cols` values each. */
function normShape(name: string, x: TensorInfo, params: Record<string, TensorInfo | undefined>): { rows: number; cols: number } {
  if (x.shape.length === 0) throw new Error(`${name}: x must have at least one axis`);
  const cols = x.shape[x.shape.length - 1];
  for (const [key, info] of Object.entries(params)) {
    if (info !== undefined && tf.util.sizeFromShape(info.shape) !== cols) throw new Error(`${name}: ${key} must hold ${cols} values, got shape [${info.shape}]`);
  }
  return { rows: tf.util.sizeFromShape(x.shape.slice(0, -1)), cols };
}

function normForward(addon: GeluNormAddon): KernelFunc {
  return (args) => {
    const { x, weight, bias } = args.inputs as { x: TensorInfo; weight: TensorInfo; bias?: TensorInfo };
    const attrs = args.attrs as NamedAttrMap;
    requireFloat32(FLOE_NORM, { x, weight, bias });
    const { rows, cols } = normShape(FLOE_NORM, x, { weight, bias });
    const backend = asWasmBackend(args.backend);
    const rowShape = x.shape.slice(0, -1);
    return withOutputs(backend, [x.shape, rowShape, rowShape], (heap, [yOff, meanOff, rstdOff]) => {
      const bOff = bias === undefined ? -1 : heapOffset(backend, bias);
      addon.normForward(heap, heapOffset(backend, x), heapOffset(backend, weight), bOff, yOff, meanOff, rstdOff, rows, cols, Number(attrs.eps), attrs.centre === true);
    });
  };
}

function normBackward(addon: GeluNormAddon): KernelFunc {
  return (args) => {
    const { dy, x, weight, mean, rstd } = args.inputs as Record<'dy' | 'x' | 'weight' | 'mean' | 'rstd', TensorInfo>;
    const attrs = args.attrs as NamedAttrMap;
    requireFloat32(FLOE_NORM_GRAD, { dy, x, weight, mean, rstd });
    tf.util.assertShapesMatch(dy.shape, x.shape, `${FLOE_NORM_GRAD}: dy and x`);
    const { rows, cols } = normShape(FLOE_NORM_GRAD, x, { weight });
    if (tf.util.sizeFromShape(mean.shape) !== rows || tf.util.sizeFromShape(rstd.shape) !== rows) throw new Error(`${FLOE_NORM_GRAD}: mean and rstd must hold ${rows} values`);
    const hasBias = attrs.hasBias === true;
    const backend = asWasmBackend(args.backend);
    const shapes = hasBias ? [x.shape, weight.shape, weight.shape] : [x.shape, weight.shape];
    return withOutputs(backend, shapes, (heap, [dxOff, dwOff, dbOff]) => {
      const off = (info: TensorInfo): number => heapOffset(backend, info);
      addon.normBackward(heap, off(dy), off(x), off(weight), off(mean), off(rstd), dxOff, dwOff, hasBias ? dbOff : -1, rows, cols, attrs.centre === true);
    });
  };
}

/** The kernel configs of this family, computing on `addon`. */
export function geluNormKernelConfigs(addon: GeluNormAddon): KernelConfig[] {
  const configs: Array<[string, KernelFunc]> = [
    [FLOE_GELU_TANH, gateForward(addon, FLOE_GELU_TANH, GATE_KINDS.gelu)],
    [FLOE_GELU_TANH_GRAD, gateBackward(addon, FLOE_GELU_TANH_GRAD, GATE_KINDS.gelu)],
    [FLOE_SILU, gateForward(addon, FLOE_SILU, GATE_KINDS.silu)],
    [FLOE_SILU_GRAD, gateBackward(addon, FLOE_SILU_GRAD, GATE_KINDS.silu)],
    [FLOE_NORM, normForward(addon)],
    [FLOE_NORM_GRAD, normBackward(addon)],
  ];
  return configs.map(([kernelName, kernelFunc]) => ({ kernelName, backendName: 'wasm', kernelFunc }));
}
