import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

/**
 * The stock wasm kernels that size a conv/pool output with `backend_util.computeConv2DInfo`: the
 * forward ones, where XNNPACK recomputes the true width itself, and the input gradients, whose
 * loops walk `dy` with tfjs's width.
 */
export const NUMERIC_PAD_GUARDED_KERNELS = [
  'Conv2D',
  'FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2D',
  'MaxPool',
  'AvgPool',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'AvgPoolGrad',
] as const;

/** Gradient kernels among {@link NUMERIC_PAD_GUARDED_KERNELS}: they read `dy` with the wrong width rather than write past a buffer. */
const GRADIENT_KERNELS: ReadonlySet<string> = new Set(['Conv2DBackpropInput', 'MaxPoolGrad', 'AvgPoolGrad']);

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
 * Whether the stock `Conv2DBackpropInput` still gives the right `dx` although tfjs's `dy` width is
 * wrong: its loops take `dy` columns `yc < min(tfjsWidth, reach)`, where `reach` is one past the
 * last column any input column can reach (`yc·strideW ≤ xc + pad`), so the answer is right when
 * both widths clamp to the same count. Common with strides > 1 (3x3 filter, pad 1, strides
 * [1, 2]); checked against cpu with explicit padding on 729 small geometries.
 */
function backpropInputUnaffected(options: { tfjsWidth: number; trueWidth: number; inWidth: number; pad: number; strideWidth: number }): boolean {
  const reach = Math.floor((options.inWidth - 1 + options.pad) / options.strideWidth) + 1;
  return Math.min(options.tfjsWidth, reach) === Math.min(options.trueWidth, reach);
}

/**
 * Throws when a numeric `pad` makes tfjs size a conv/pool output width wrongly for `kernelName`.
 * tfjs-core's `computeConv2DInfo` sizes both output axes from the (dilated) filter height and the
 * stride height when `pad` is a number (tensorflow/tfjs#649), so a non-square effective filter or
 * unequal strides give a wrong width. Forward kernels: tfjs-backend-wasm allocates that width but
 * XNNPACK writes the true one, past the buffer when it is wider, corrupting the wasm heap (a
 * later, unrelated op then dies with `RuntimeError: Aborted()` or `memory access out of bounds`).
 * Input gradients (`Conv2DBackpropInput`, `MaxPoolGrad`, `AvgPoolGrad`): `dx` has the right shape,
 * but the loops walk a true-shaped `dy` with the wrong width, so the values are silently wrong
 * (`Conv2DBackpropInput` only where the wrong width changes which `dy` columns it reads).
 * `xShape` is the conv/pool input (for the gradients: the shape of `dx`).
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
  if (kernelName === 'Conv2DBackpropInput' && backpropInputUnaffected({ tfjsWidth, trueWidth, inWidth: width, pad, strideWidth: sw })) return;
  const harm = GRADIENT_KERNELS.has(kernelName)
    ? `and tfjs-backend-wasm would read dy as ${tfjsWidth} wide and return wrong values`
    : 'and tfjs-backend-wasm would write past its output buffer and corrupt the wasm heap';
  throw new Error(
    `${kernelName} on wasm: numeric pad ${pad} with a ${fh}x${fw} filter (dilations ${dh}x${dw}, effective ${effH}x${effW}) and strides ${sh}x${sw} ` +
      `on input width ${width}: tfjs computes the output width from the filter height and stride height as ${tfjsWidth}, but it is ${trueWidth} ` +
      `(tensorflow/tfjs#649), ${harm}. ` +
      `Allowed: pad 'valid' or 'same', explicit padding [[0, 0], [${pad}, ${pad}], [${pad}, ${pad}], [0, 0]], or a numeric pad with a square effective filter and equal strides`,
  );
}

function filterHW(kernelName: NumericPadGuardedKernel, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): [number, number] {
  if (attrs.filterSize !== undefined) return pair(attrs.filterSize, 'filterSize'); // the pools and their gradients
  const filter = inputs.filter;
  return [filter.shape[0], filter.shape[1]];
}

/** The conv/pool input shape: `x`, or for the gradients the shape of `dx` (`inputShape`, the pools' `input`). */
function inputShape(kernelName: NumericPadGuardedKernel, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): readonly number[] {
  if (kernelName === 'Conv2DBackpropInput') return attrs.inputShape as unknown as number[];
  if (kernelName === 'MaxPoolGrad' || kernelName === 'AvgPoolGrad') return inputs.input.shape;
  return inputs.x.shape;
}

/**
 * {@link checkNumericPad} for a call of `kernelName` with these inputs and attrs: what the guard
 * kernel checks before it runs the kernel it wraps (a native version of that kernel runs it too).
 */
export function checkNumericPadOf(kernelName: NumericPadGuardedKernel, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): void {
  checkNumericPad(kernelName, { xShape: inputShape(kernelName, inputs, attrs), filterHW: filterHW(kernelName, inputs, attrs), attrs });
}

/**
 * Wraps a stock wasm conv/pool kernel (or input gradient, or Floe's replacement of one, as for
 * `MaxPoolGrad`) so a numeric `pad` that tfjs sizes wrongly (see {@link checkNumericPad}) throws a
 * clear error instead of corrupting the wasm heap or returning wrong values.
 */
export function createNumericPadGuardKernel(kernelName: NumericPadGuardedKernel, stock: KernelConfig | undefined): KernelConfig {
  if (stock === undefined) throw new Error(`numeric-pad guard: tfjs-backend-wasm has no '${kernelName}' kernel to wrap`);
  const stockFunc = stock.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    checkNumericPadOf(kernelName, args.inputs as Record<string, TensorInfo>, args.attrs ?? {});
    return stockFunc(args);
  };
  return { ...stock, kernelFunc };
}
