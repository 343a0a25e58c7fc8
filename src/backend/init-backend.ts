import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, FloeError, UnknownTypeError, didYouMean, listChoices } from '../errors';
import { BACKEND_NAMES, isBackendName, type BackendInfo, type InitBackendOptions } from './backend-names';
import { registerWasmKernelOverrides } from './kernels/register-wasm-kernel-overrides';
import { pickAutoBackend, startNativeBackend } from './native-backend';
import { silenceCpuBanner } from './silence-cpu-banner';
import { checkWasmThreads } from './wasm-threads';
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

async function startWasm(threads: number | undefined): Promise<{ threads: number; kernelOverrides: string[] }> {
  checkWasmThreads(threads);
  configureWasmPaths();
  const kernelOverrides = registerWasmKernelOverrides();
  await selectBackend('wasm');
  return { threads: loadWasmPackage().getThreadsCount(), kernelOverrides };
}

/**
 * Starts a tfjs backend and makes it current; call once per run, after config validation.
 *
 * - `auto`: `tensorflow-gpu`, then `tensorflow`, then `wasm`, by which packages are installed.
 * - `tensorflow` / `tensorflow-gpu`: needs `@tensorflow/tfjs-node` / `-gpu`; throws
 *   {@link BackendUnavailableError} with the install command when missing.
 * - `wasm`: loads the binaries from node_modules and registers Floe's kernel overrides
 *   (see `registerWasmKernelOverrides`); single-threaded under Node.
 * - `cpu`: tfjs's pure-JS backend; slow, for tests and reference results.
 *
 * Idempotent: calling it again with the same options returns the same info. Also silences tfjs's
 * "looks like you are running TensorFlow.js in Node.js" banner.
 */
export async function initBackend(options: InitBackendOptions): Promise<BackendInfo> {
  const requested = options.name;
  if (!isBackendName(requested)) {
    throw new UnknownTypeError(
      `Unknown backend '${String(requested)}'. Supported: ${listChoices(BACKEND_NAMES)}.${didYouMean(String(requested), BACKEND_NAMES)}`,
    );
  }
  const name = requested === 'auto' ? pickAutoBackend() : requested;
  silenceCpuBanner();
  switch (name) {
    case 'wasm': {
      const { threads, kernelOverrides } = await startWasm(options.threads);
      return { name, requested, threads, kernelOverrides };
    }
    case 'cpu': {
      if (options.threads !== undefined && options.threads !== 1) {
        throw new FloeError(`The cpu backend runs on one thread; threads: ${options.threads} is not supported. Use 1 or omit it.`);
      }
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
