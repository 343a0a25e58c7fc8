import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from '../errors';
import type { BackendInfo, InitBackendOptions } from './backend-names';
import { checkBackendRequest } from './check-backend';
import { registerWasmKernelOverrides } from './kernels/register-wasm-kernel-overrides';
import { startNativeBackend } from './native-backend';
import { guardWasmMalloc } from './wasm-malloc-guard';
import { silenceCpuBanner } from './silence-cpu-banner';
import { loadWasmPackage, wasmBinaryDir } from './wasm-package';

let wasmPathsSet = false;

/** Points tfjs at the `.wasm` binaries in node_modules (no network). Once per process. */
function configureWasmPaths(): void {
  if (wasmPathsSet) return;
  const wasm = loadWasmPackage();
  // setWasmPaths is only allowed before the backend starts; if someone else started it, keep theirs.
  if (tf.engine().registry.wasm === undefined) wasm.setWasmPaths(wasmBinaryDir());
  wasmPathsSet = true;
}

async function selectBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (!(await tf.setBackend(name))) {
    throw new BackendUnavailableError(`The tfjs '${name}' backend failed to start (see the tfjs message above).`);
  }
  await tf.ready();
}

async function startWasm(): Promise<{ threads: number; kernelOverrides: string[] }> {
  configureWasmPaths();
  const kernelOverrides = registerWasmKernelOverrides();
  await selectBackend('wasm');
  guardWasmMalloc();
  return { threads: loadWasmPackage().getThreadsCount(), kernelOverrides };
}

/**
 * Starts a tfjs backend and makes it current; call once per run, after config validation.
 *
 * - `auto`: `tensorflow-gpu`, then `tensorflow`, then `wasm`, by which packages are installed.
 * - `tensorflow` / `tensorflow-gpu`: needs `@tensorflow/tfjs-node` / `-gpu`; throws
 *   {@link BackendUnavailableError} with the install command when missing.
 * - `wasm`: loads the binaries from node_modules and registers Floe's kernel overrides
 *   (see `registerWasmKernelOverrides`); single-threaded under Node. A full heap throws at the
 *   allocation (see `guardWasmMalloc`).
 * - `cpu`: tfjs's pure-JS backend; slow, for tests and reference results.
 *
 * Idempotent: calling it again with the same options returns the same info. Also silences tfjs's
 * "looks like you are running TensorFlow.js in Node.js" banner.
 */
export async function initBackend(options: InitBackendOptions): Promise<BackendInfo> {
  const requested = options.name;
  const name = checkBackendRequest(options);
  silenceCpuBanner();
  switch (name) {
    case 'wasm': {
      const { threads, kernelOverrides } = await startWasm();
      return { name, requested, threads, kernelOverrides };
    }
    case 'cpu': {
      await selectBackend('cpu');
      return { name, requested, threads: 1, kernelOverrides: [] };
    }
    case 'tensorflow':
    case 'tensorflow-gpu': {
      const threads = await startNativeBackend(name, options.threads);
      return { name, requested, threads, kernelOverrides: [] };
    }
  }
}
