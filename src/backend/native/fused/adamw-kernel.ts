import type { KernelConfig } from '@tensorflow/tfjs';

/** Addon entry points of the fused AdamW update (native/kernels/src/napi_adamw.cc). */
export interface AdamWAddon {}

/** Names of the wasm kernels this family registers when native is active. */
export const ADAMW_KERNELS: readonly string[] = [];

/** The kernel configs of this family, computing on `addon`. */
export function adamWKernelConfigs(addon: AdamWAddon): KernelConfig[] {
  void addon;
  return [];
}
