import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

/** The wasm kernels whose output shape tfjs computes with `backend_util.computeConv2DInfo` and XNNPACK recomputes itself. */
export const NUMERIC_PAD_GUARDED_KERNELS = ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'MaxPool', 'AvgPool'] as const;

/** One of {@link NUMERIC_PAD_GUARDED_KERNELS}. */
export type NumericPadGuardedKernel = (typeof NUMERIC_PAD_GUARDED_KERNELS)[number];

function pair(value: unknown, name: string): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2) return [Number(value[0]), Number(value[1])];
  throw new Error(`numeric-pad guard: ${name} must be a number or [height, width], got ${JSON.stringify(value)}`);
}

function outSize(options: { size: number; field: number; stride: number; pad: number; rounding: unknown }): number {
  const exact = (options.size - options.field + 2 * options.pad) / options.stride + 1;
  if (options.rounding === 'ceil') return Math.ceil(exact);
  if (options.rounding === 'round') return Math.round(exact);
  if (options.rounding === 'floor') return Math.floor(exact);
  return Math.trunc(exact);
}

/**
 * Throws when a numeric `pad` would make tfjs and XNNPACK disagree on the output width.
 * tfjs-core's `computeConv2DInfo` sizes both output axes from the (dilated) filter height and the
 * stride height when `pad` is a number (tensorflow/tfjs#649), so a non-square effective filter or
 * unequal strides give a wrong width; tfjs-backend-wasm allocates that width but XNNPACK writes
 * the true one, past the buffer when it is wider, corrupting the wasm heap (a later, unrelated op
 * then dies with `RuntimeError: Aborted()` or `memory access out of bounds`).
 */
export function checkNumericPad(kernelName: string, options: { xShape: readonly number[]; filterHW: [number, number]; attrs: NamedAttrMap }): void {
  const { pad, strides, dilations, dimRoundingMode, dataFormat } = options.attrs as Record<string, unknown>;
  if (typeof pad !== 'number') return;
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') return; // the stock kernel refuses it
  const [fh, fw] = options.filterHW;
  const [sh, sw] = pair(strides ?? 1, 'strides');
  const [dh, dw] = pair(dilations ?? 1, 'dilations');
  const effH = (fh - 1) * dh + 1;
  const effW = (fw - 1) * dw + 1;
  const width = options.xShape[2];
  const tfjsWidth = outSize({ size: width, field: effH, stride: sh, pad, rounding: dimRoundingMode });
  const trueWidth = outSize({ size: width, field: effW, stride: sw, pad, rounding: dimRoundingMode });
  if (tfjsWidth === trueWidth) return;
  throw new Error(
    `${kernelName} on wasm: numeric pad ${pad} with a ${fh}x${fw} filter (dilations ${dh}x${dw}, effective ${effH}x${effW}) and strides ${sh}x${sw} ` +
      `on input width ${width}: tfjs computes the output width from the filter height and stride height as ${tfjsWidth}, but it is ${trueWidth} ` +
      `(tensorflow/tfjs#649), and tfjs-backend-wasm would write past its output buffer and corrupt the wasm heap. ` +
      `Allowed: pad 'valid' or 'same', explicit padding [[0, 0], [${pad}, ${pad}], [${pad}, ${pad}], [0, 0]], or a numeric pad with a square effective filter and equal strides`,
  );
}

function filterHW(kernelName: NumericPadGuardedKernel, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): [number, number] {
  if (kernelName === 'MaxPool' || kernelName === 'AvgPool') return pair(attrs.filterSize, 'filterSize');
  const filter = inputs.filter;
  return [filter.shape[0], filter.shape[1]];
}

/**
 * Wraps a stock wasm conv/pool kernel so a numeric `pad` that tfjs sizes wrongly (see
 * {@link checkNumericPad}) throws a clear error instead of corrupting the wasm heap.
 */
export function createNumericPadGuardKernel(kernelName: NumericPadGuardedKernel, stock: KernelConfig | undefined): KernelConfig {
  if (stock === undefined) throw new Error(`numeric-pad guard: tfjs-backend-wasm has no '${kernelName}' kernel to wrap`);
  const stockFunc = stock.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const inputs = args.inputs as Record<string, TensorInfo>;
    checkNumericPad(kernelName, { xShape: inputs.x.shape, filterHW: filterHW(kernelName, inputs, args.attrs ?? {}), attrs: args.attrs ?? {} });
    return stockFunc(args);
  };
  return { ...stock, kernelFunc };
}
