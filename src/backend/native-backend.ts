import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, FloeError } from '../errors';
import type { ConcreteBackendName } from './backend-names';

/** The two native (libtensorflow) backends. */
export type NativeBackendName = 'tensorflow' | 'tensorflow-gpu';

/** npm package that provides each native backend. */
export const NATIVE_BACKEND_PACKAGES: Record<NativeBackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/** Whether a package can be loaded from here (resolution only; nothing is loaded). */
export function isPackageInstalled(packageName: string): boolean {
  try {
    require.resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

/** The backend `auto` means: tensorflow-gpu, then tensorflow, then wasm, by what is installed. */
export function pickAutoBackend(isInstalled: (packageName: string) => boolean = isPackageInstalled): ConcreteBackendName {
  if (isInstalled(NATIVE_BACKEND_PACKAGES['tensorflow-gpu'])) return 'tensorflow-gpu';
  if (isInstalled(NATIVE_BACKEND_PACKAGES.tensorflow)) return 'tensorflow';
  return 'wasm';
}

/** The error for a native backend whose package is missing. */
export function nativeBackendMissingError(name: NativeBackendName): BackendUnavailableError {
  const pkg = NATIVE_BACKEND_PACKAGES[name];
  return new BackendUnavailableError(
    `Backend '${name}' needs the package ${pkg}, which is not installed. ` +
      `Install it with \`npm install ${pkg}\` (it downloads the native libtensorflow library at install time, ` +
      `so it needs network access and a supported platform), or use backend 'wasm' or 'auto'.`,
  );
}

/**
 * Loads a native backend's package (which registers tfjs's `tensorflow` backend) and selects it.
 * Returns the thread count to report: the requested one, or 0 when libtensorflow sizes its pool.
 */
export async function startNativeBackend(name: NativeBackendName, threads: number | undefined): Promise<number> {
  const pkg = NATIVE_BACKEND_PACKAGES[name];
  if (!isPackageInstalled(pkg)) throw nativeBackendMissingError(name);
  if (threads !== undefined) {
    if (!Number.isInteger(threads) || threads < 1) throw new FloeError(`Invalid threads: ${threads}. Expected a positive integer.`);
    // libtensorflow reads this once, when it starts; a value the user exported wins.
    process.env.TF_NUM_INTRAOP_THREADS ??= String(threads);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(pkg);
  } catch (cause) {
    throw new BackendUnavailableError(`Backend '${name}': ${pkg} is installed but failed to load: ${String(cause)}`, { cause });
  }
  // Both packages register their backend under the name 'tensorflow'.
  if (!(await tf.setBackend('tensorflow'))) {
    throw new BackendUnavailableError(`Backend '${name}': ${pkg} loaded but the 'tensorflow' backend failed to start.`);
  }
  return threads ?? 0;
}
