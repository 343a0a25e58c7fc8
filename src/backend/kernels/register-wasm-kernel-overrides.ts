import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { loadWasmPackage } from '../wasm-package';
import { syncFusedKernels, unregisterFusedKernels } from '../native/fused';
import { withNativeKernel } from '../native/native-kernels';
import { createBatchMatMulKernel } from './batch-mat-mul-kernel';
import { createCastKernel } from './cast-kernel';
import { createConcatKernel } from './concat-kernel';
import { createConv2DBackpropFilterKernel } from './conv2d-backprop-filter-kernel';
import { createDepthwiseConv2dBackpropFilterKernel, createDepthwiseConv2dBackpropInputKernel } from './depthwise-conv2d-backprop-kernels';
import { createFusedMatMulKernel } from './fused-mat-mul-kernel';
import { createGatherKernel } from './gather-kernel';
import { createIdentityKernel } from './identity-kernel';
import { createMaxPool3DGradKernel, createMaxPool3DKernel } from './max-pool-3d-kernels';
import { createMaxPoolGradKernel } from './max-pool-grad-kernel';
import { createMaxPoolWithArgmaxKernel } from './max-pool-with-argmax-kernel';
import { createNumericPadGuardKernel, NUMERIC_PAD_GUARDED_KERNELS } from './numeric-pad-guard';
import { createSplitKernel } from './split-kernel';
import { createSumKernel } from './sum-kernel';
import { createTransposeKernel } from './transpose-kernel';
import { createUnsortedSegmentSumKernel } from './unsorted-segment-sum-kernel';

/** Kernels Floe adds to or replaces in the wasm backend, in registration order. */
export const WASM_KERNEL_OVERRIDES = [
  'UnsortedSegmentSum',
  'BatchMatMul',
  '_FusedMatMul',
  'Identity',
  'Cast',
  'Transpose',
  'Sum',
  'GatherV2',
  'SplitV',
  'Concat',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  // Conv and pool kernels behind the guard of tfjs#649 (MaxPoolGrad is Floe's own behind it).
  ...NUMERIC_PAD_GUARDED_KERNELS,
  'MaxPool3D',
  'MaxPool3DGrad',
  'MaxPoolWithArgmax',
] as const;

/** One of {@link WASM_KERNEL_OVERRIDES}. */
export type WasmKernelOverride = (typeof WASM_KERNEL_OVERRIDES)[number];

const FACTORIES: Record<WasmKernelOverride, (stock: KernelConfig | undefined) => KernelConfig> = {
  UnsortedSegmentSum: () => createUnsortedSegmentSumKernel(),
  BatchMatMul: createBatchMatMulKernel,
  _FusedMatMul: createFusedMatMulKernel,
  Identity: createIdentityKernel,
  Cast: createCastKernel,
  Transpose: createTransposeKernel,
  Sum: createSumKernel,
  GatherV2: createGatherKernel,
  SplitV: createSplitKernel,
  Concat: createConcatKernel,
  Conv2DBackpropFilter: () => createConv2DBackpropFilterKernel(),
  DepthwiseConv2dNativeBackpropFilter: () => createDepthwiseConv2dBackpropFilterKernel(),
  DepthwiseConv2dNativeBackpropInput: () => createDepthwiseConv2dBackpropInputKernel(),
  // Stock kernels behind a guard: a numeric pad tfjs sizes wrongly would corrupt the wasm heap (numeric-pad-guard.ts).
  Conv2D: (stock) => createNumericPadGuardKernel('Conv2D', stock),
  FusedConv2D: (stock) => createNumericPadGuardKernel('FusedConv2D', stock),
  DepthwiseConv2dNative: (stock) => createNumericPadGuardKernel('DepthwiseConv2dNative', stock),
  FusedDepthwiseConv2D: (stock) => createNumericPadGuardKernel('FusedDepthwiseConv2D', stock),
  MaxPool: (stock) => createNumericPadGuardKernel('MaxPool', stock),
  AvgPool: (stock) => createNumericPadGuardKernel('AvgPool', stock),
  // Input gradients behind the same guard: they would read dy with tfjs's wrong width (wrong values, no corruption).
  Conv2DBackpropInput: (stock) => createNumericPadGuardKernel('Conv2DBackpropInput', stock),
  // Floe's own (stock wasm misroutes the gradient of windows whose max is <= 0 and of ties), still behind the guard.
  MaxPoolGrad: (stock) => createNumericPadGuardKernel('MaxPoolGrad', createMaxPoolGradKernel(stock)),
  AvgPoolGrad: (stock) => createNumericPadGuardKernel('AvgPoolGrad', stock),
  // Floe's own: the stock kernels start each window's maximum at 1.18e-38 instead of -inf (wrong maxima and gradients for windows <= 0).
  MaxPool3D: createMaxPool3DKernel,
  MaxPool3DGrad: createMaxPool3DGradKernel,
  MaxPoolWithArgmax: createMaxPoolWithArgmaxKernel,
};

/** The stock configs (or undefined when wasm had none), captured the first time we replace them. */
const stockKernels = new Map<WasmKernelOverride, KernelConfig | undefined>();
/** Kernel functions Floe registered, to recognise its own kernels in the global registry. */
const floeKernelFuncs = new WeakSet<KernelFunc>();

function isFloeKernel(name: string): boolean {
  const current = tf.getKernel(name, 'wasm');
  return current !== undefined && floeKernelFuncs.has(current.kernelFunc);
}

/**
 * Registers Floe's wasm kernels: `UnsortedSegmentSum`, `Conv2DBackpropFilter` and the two
 * depthwise-conv backprops (missing in tfjs-backend-wasm; the gradients of `tf.gather` and of
 * conv1d/conv2d/depthwise/separable conv layers need them), fast
 * `BatchMatMul` and correct `_FusedMatMul` (XNNPACK for transposed and batched operands),
 * zero-copy `Identity` and same-dtype `Cast`, and JS loops for matrix `Transpose`, leading-axis
 * `Sum`, row `GatherV2` and block-copy `SplitV` and `Concat` (memory-bound ops the stock kernels run slowly),
 * a `MaxPoolGrad` with the cpu backend's semantics (the stock one sends the gradient of a window
 * whose maximum is ≤ 0 to the wrong pixel or drops it), `MaxPool3D`, `MaxPool3DGrad` and
 * `MaxPoolWithArgmax` with the cpu backend's results (the stock ones start each window's maximum
 * at 1.18e-38, so windows of values ≤ 0 pool and route gradients wrongly), and a guard on the stock conv/pool kernels and their input gradients that refuses a numeric `pad`
 * tfjs sizes wrongly (non-square filter or unequal strides), which would otherwise corrupt the
 * wasm heap (forward) or give wrong values (gradients). Idempotent; works before or after the wasm backend starts. Affects every
 * user of the wasm backend in this process (the kernel registry is global).
 *
 * @param only Register just these overrides (default: all of them), e.g. for benchmarks.
 * @returns The names of the kernels that are now Floe's.
 */
export function registerWasmKernelOverrides(only: readonly WasmKernelOverride[] = WASM_KERNEL_OVERRIDES): string[] {
  loadWasmPackage(); // the stock wasm kernels must be registered before we can wrap them
  for (const name of only) {
    if (isFloeKernel(name)) continue;
    const current = tf.getKernel(name, 'wasm');
    if (!stockKernels.has(name)) stockKernels.set(name, current);
    if (current !== undefined) tf.unregisterKernel(name, 'wasm');
    // Native GEMM/Sum (native/kernels) when built, self-tested and not FLOE_NATIVE=0; else the JS kernel.
    const config = withNativeKernel(FACTORIES[name](stockKernels.get(name)));
    floeKernelFuncs.add(config.kernelFunc);
    tf.registerKernel(config);
  }
  syncFusedKernels();
  return WASM_KERNEL_OVERRIDES.filter((name) => isFloeKernel(name));
}

/**
 * Puts the stock wasm kernels back (and removes the kernels wasm lacked: `UnsortedSegmentSum`,
 * `Conv2DBackpropFilter`, the depthwise-conv backprops). For benchmarks and tests
 * that compare against stock tfjs.
 */
export function unregisterWasmKernelOverrides(): void {
  unregisterFusedKernels();
  for (const name of WASM_KERNEL_OVERRIDES) {
    if (!isFloeKernel(name)) continue;
    tf.unregisterKernel(name, 'wasm');
    const stock = stockKernels.get(name);
    if (stock !== undefined) tf.registerKernel(stock);
  }
}
