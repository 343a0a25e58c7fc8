import { FloeError, UnknownTypeError, didYouMean, listChoices } from '../errors';
import { BACKEND_NAMES, backendNameHint, isBackendName, type ConcreteBackendName, type InitBackendOptions } from './backend-names';
import { isPackageInstalled, NATIVE_BACKEND_PACKAGES, nativeBackendMissingError, pickAutoBackend } from './native-backend';
import { checkNativeEnv } from './native/native-kernels-status';
import { checkWasmThreads } from './wasm-threads';

/**
 * The backend `options` would start, checked without starting anything: an unknown name, a
 * thread count the backend cannot use, or a native backend whose package is missing throws the
 * error {@link initBackend} would. A data-parallel launcher calls it before it starts workers,
 * so such a request fails once, up front, not in every worker.
 */
export function checkBackendRequest(options: InitBackendOptions): ConcreteBackendName {
  const requested = options.name;
  if (!isBackendName(requested)) {
    const hint = backendNameHint(requested);
    throw new UnknownTypeError(`Unknown backend '${String(requested)}'. Supported: ${listChoices(BACKEND_NAMES)}.${hint === undefined ? didYouMean(String(requested), BACKEND_NAMES) : ` ${hint}`}`);
  }
  const name = requested === 'auto' ? pickAutoBackend() : requested;
  switch (name) {
    case 'wasm':
      checkWasmThreads(options.threads);
      checkNativeEnv();
      break;
    case 'cpu':
      if (options.threads !== undefined && options.threads !== 1) {
        throw new FloeError(`The cpu backend runs on one thread; threads: ${options.threads} is not supported. Use 1 or omit it.`);
      }
      break;
    case 'tensorflow':
    case 'tensorflow-gpu':
      if (!isPackageInstalled(NATIVE_BACKEND_PACKAGES[name])) throw nativeBackendMissingError(name);
      break;
  }
  return name;
}
