import * as tf from '@tensorflow/tfjs';
import { activeNativeAddon } from '../native-kernels-status';
import { setNativeRowCopier } from '../../kernels/heap-loops';
import { setHeapAdvisor } from '../native-outputs';
import { adamWKernelConfigs } from './adamw-kernel';
import { attentionCoreKernelConfigs } from './attention-core-kernels';
import { attentionSoftmaxKernelConfigs } from './attention-softmax-kernels';
import { crossEntropyKernelConfigs } from './cross-entropy-kernels';
import { FUSED_KERNELS } from './fused-kernel-names';
import { geluNormKernelConfigs } from './gelu-norm-kernels';
import { ropePackedKernelConfigs } from './rope-packed-kernel';

/**
 * Registers Floe's fused wasm kernels (GELU, LayerNorm, softmax cross-entropy, AdamW, attention
 * softmax, attention core) when the native kernels are active, and removes them when not, so
 * the kernel registry always tells the model and optimizer which path to take (see
 * {@link hasKernel}). Idempotent.
 */
export function syncFusedKernels(): void {
  unregisterFusedKernels();
  const addon = activeNativeAddon();
  // Huge pages for the wasm heap the native kernels work on (fewer TLB misses, ~3% a step);
  // FLOE_HUGE_PAGES=0 leaves the heap to the system's default.
  const advise = process.env.FLOE_HUGE_PAGES !== '0' ? addon?.adviseHugePages?.bind(addon) : undefined;
  setHeapAdvisor(advise);
  // Split and Concat move their rows with one native call instead of a JS loop.
  setNativeRowCopier(addon?.copyRows?.bind(addon));
  if (addon === undefined) return;
  for (const config of [...geluNormKernelConfigs(addon), ...crossEntropyKernelConfigs(addon), ...adamWKernelConfigs(addon), ...attentionSoftmaxKernelConfigs(addon), ...attentionCoreKernelConfigs(addon), ...ropePackedKernelConfigs(addon)]) {
    tf.registerKernel(config);
  }
}

/** Removes every fused kernel Floe registered on wasm. */
export function unregisterFusedKernels(): void {
  for (const name of FUSED_KERNELS) {
    if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
  }
}

/**
 * True when the current backend has a kernel called `name`: how ops choose between one of Floe's
 * fused kernels and their composite of stock ops (cpu, tfjs-node and native-less wasm).
 */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
