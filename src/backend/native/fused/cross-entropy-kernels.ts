import type { KernelConfig } from '@tensorflow/tfjs';

/** Addon entry points of the fused softmax cross-entropy kernels (native/kernels/src/napi_cross_entropy.cc). */
export interface CrossEntropyAddon {}

/** Names of the wasm kernels this family registers when native is active. */
export const CROSS_ENTROPY_KERNELS: readonly string[] = [];

/** The kernel configs of this family, computing on `addon`. */
export function crossEntropyKernelConfigs(addon: CrossEntropyAddon): KernelConfig[] {
  void addon;
  return [];
}
