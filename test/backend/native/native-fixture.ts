import { activeNativeAddon, nativeKernelsStatus, type NativeKernelsAddon } from '../../../src/backend/native';
import { useJsKernels } from '../backend-fixture';

/**
 * Skips the suite, with a visible line saying why, when the native kernels are not active (addon
 * not built, CPU without AVX2/AVX-512, FLOE_NATIVE=0). Returns a getter for the addon.
 */
export function requireNativeKernels(): () => NativeKernelsAddon {
  let addon: NativeKernelsAddon | undefined;
  before(function () {
    const status = nativeKernelsStatus();
    addon = activeNativeAddon();
    if (addon === undefined) {
      console.log(`      [skipped: native kernels inactive: ${status.reason ?? 'unknown'}]`);
      this.skip();
    }
  });
  return () => addon!;
}

/** Runs `fn` with Floe's JS wasm kernels instead of the native ones, then puts native back. */
export async function withoutNative<T>(fn: () => Promise<T>): Promise<T> {
  const restore = useJsKernels();
  try {
    return await fn();
  } finally {
    restore();
  }
}
