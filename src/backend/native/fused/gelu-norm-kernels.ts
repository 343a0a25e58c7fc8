import type { KernelConfig } from '@tensorflow/tfjs';

/** Addon entry points of the fused GELU and LayerNorm kernels (native/kernels/src/napi_gelu_norm.cc). */
export interface GeluNormAddon {}

/** Names of the wasm kernels this family registers when native is active. */
export const GELU_NORM_KERNELS: readonly string[] = [];

/** The kernel configs of this family, computing on `addon`. */
export function geluNormKernelConfigs(addon: GeluNormAddon): KernelConfig[] {
  void addon;
  return [];
}
