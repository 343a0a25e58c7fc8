import { BackendUnavailableError } from '../../errors';
import { FUSED_KERNELS } from './fused/fused-kernel-names';
import { loadNativeKernelsAddon, type NativeIsa, type NativeKernelsAddon } from './native-kernels-addon';
import { nativeSelfTest } from './native-self-test';

/** tfjs wasm kernels that run natively when the addon is active (Floe's fused kernels: `FUSED_KERNELS`). */
export const NATIVE_KERNELS = ['BatchMatMul', '_FusedMatMul', 'Sum', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad'] as const;

/** What the native kernels are doing in this process. */
export interface NativeKernelsStatus {
  /** True when the wasm kernels in {@link NATIVE_KERNELS} run on the addon. */
  active: boolean;
  /** Instruction set of the GEMM micro-kernels (`none` when inactive). */
  isa: NativeIsa;
  /** Kernels that run natively (empty when inactive). */
  kernels: string[];
  /** Why native is off (FLOE_NATIVE=0, not built, CPU without AVX2/AVX-512, self-test failed). */
  reason?: string;
  /** The loaded addon file, when loaded. */
  file?: string;
  /** True when `FLOE_NATIVE=0` turned them off: the user's choice, not a problem to report. */
  turnedOff?: boolean;
}

/** Values `FLOE_NATIVE_ISA` may force. */
const FORCEABLE_ISAS = ['avx2', 'avx512'] as const;

let status: { value: NativeKernelsStatus; addon?: NativeKernelsAddon } | undefined;

function inactive(reason: string, file?: string): NativeKernelsStatus {
  return { active: false, isa: 'none', kernels: [], reason, file };
}

/**
 * Decides once per process whether Floe's wasm kernels run natively: `FLOE_NATIVE=0` turns it
 * off; otherwise the addon must load, the CPU must have AVX2+FMA or AVX-512 (the plain-C speed
 * is below wasm SIMD, so there is no native fallback), and a start-up self-test GEMM must match a
 * JS reference. `FLOE_NATIVE_ISA=avx2` forces the AVX2 micro-kernel (for comparisons).
 */
export function nativeKernelsStatus(): NativeKernelsStatus {
  return resolve().value;
}

/** The addon when native kernels are active, else undefined. */
export function activeNativeAddon(): NativeKernelsAddon | undefined {
  return resolve().addon;
}

/**
 * Refuses a `FLOE_NATIVE`, `FLOE_HUGE_PAGES` or `FLOE_NATIVE_ISA` value that means nothing, without loading the
 * addon: checked before it loads, so a typo fails the same on every machine, and by a
 * data-parallel launcher before any worker starts.
 */
export function checkNativeEnv(env: NodeJS.ProcessEnv = process.env): void {
  const setting = env.FLOE_NATIVE;
  // FLOE_NATIVE=false or off would otherwise leave the kernels on without a word.
  if (setting !== undefined && setting !== '' && setting !== '0' && setting !== '1') {
    throw new BackendUnavailableError(`FLOE_NATIVE=${setting} is not a setting of the native kernels: FLOE_NATIVE=0 turns them off; 1 (or unset) uses them where they can run.`);
  }
  const huge = env.FLOE_HUGE_PAGES;
  if (huge !== undefined && huge !== '' && huge !== '0' && huge !== '1') {
    throw new BackendUnavailableError(`FLOE_HUGE_PAGES=${huge} is not a setting of the native kernels: FLOE_HUGE_PAGES=0 leaves the wasm heap on the system's default pages; 1 (or unset) asks for huge pages.`);
  }
  const forced = env.FLOE_NATIVE_ISA;
  if (setting !== '0' && forced !== undefined && forced !== '' && !(FORCEABLE_ISAS as readonly string[]).includes(forced)) {
    throw new BackendUnavailableError(`FLOE_NATIVE_ISA=${forced} is not an instruction set of the native kernels. Supported: ${FORCEABLE_ISAS.join(', ')} (unset it for the best this CPU has; FLOE_NATIVE=0 turns them off).`);
  }
}

function resolve(): { value: NativeKernelsStatus; addon?: NativeKernelsAddon } {
  if (status !== undefined) return status;
  const setting = process.env.FLOE_NATIVE;
  if (setting === '0') {
    status = { value: { ...inactive('turned off by FLOE_NATIVE=0'), turnedOff: true } };
    return status;
  }
  checkNativeEnv();
  const forced = process.env.FLOE_NATIVE_ISA;
  const load = loadNativeKernelsAddon();
  if (load.addon === undefined) {
    status = { value: inactive(load.reason) };
    return status;
  }
  const { addon, file } = load;
  if (forced !== undefined && forced !== '' && !addon.setIsa(forced as NativeIsa)) {
    status = { value: inactive(`FLOE_NATIVE_ISA=${forced} is not supported by this CPU`, file) };
    return status;
  }
  const isa = addon.info().isa;
  if (isa === 'none') {
    status = { value: inactive('this CPU has neither AVX2+FMA nor AVX-512 (the JS kernels are faster than plain C)', file) };
    return status;
  }
  const failure = nativeSelfTest(addon);
  if (failure !== undefined) {
    status = { value: inactive(failure, file) };
    return status;
  }
  // An addon built before conv2d, conv2dBackpropFilter, conv2dBackpropInput or maxPoolGrad existed leaves that kernel on JS.
  const missing = new Set([
    addon.conv2d === undefined ? 'Conv2D' : '',
    addon.conv2d === undefined ? 'FusedConv2D' : '',
    addon.conv2dBackpropFilter === undefined ? 'Conv2DBackpropFilter' : '',
    addon.conv2dBackpropInput === undefined ? 'Conv2DBackpropInput' : '',
    addon.maxPoolGrad === undefined ? 'MaxPoolGrad' : '',
  ]);
  const kernels = NATIVE_KERNELS.filter((name) => !missing.has(name));
  status = { value: { active: true, isa, kernels: [...kernels, ...FUSED_KERNELS], file }, addon };
  return status;
}

/**
 * The warning a run prints once when the wasm backend trains without the native kernels for a
 * reason the user did not choose (not built for want of a compiler, failed to load, CPU, failed
 * self-test): the run still works, ~5× slower on the PERF.md reference model, and nothing else
 * would say why. Undefined when they are active, turned off by `FLOE_NATIVE=0`, or the backend
 * is not wasm (they serve only wasm).
 */
export function nativeKernelsWarning(status: NativeKernelsStatus, backend: string): string | undefined {
  if (backend !== 'wasm' || status.active || status.turnedOff === true) return undefined;
  return `native kernels off (${status.reason ?? 'unknown reason'}): training runs on the wasm kernels alone, ~5× slower; \`floe env\` shows the details (FLOE_NATIVE=0 silences this).`;
}

/** Forgets the decision so the next call re-reads the environment (tests only). */
export function resetNativeKernelsStatus(): void {
  status = undefined;
}
