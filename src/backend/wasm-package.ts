import * as path from 'path';

/** The `@tensorflow/tfjs-backend-wasm` module. */
export type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

/**
 * Loads `@tensorflow/tfjs-backend-wasm`, which registers the `wasm` backend and its kernels.
 * Loaded lazily, not imported at the top: registration gives wasm priority over `cpu`, and merely
 * importing Floe must not change which backend other code gets by default.
 */
export function loadWasmPackage(): WasmPackage {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
}

/** Folder holding the package's `.wasm` binaries, with a trailing separator (for `setWasmPaths`). */
export function wasmBinaryDir(): string {
  const packageDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return path.join(packageDir, 'dist') + path.sep;
}
