import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import type { Argv } from 'yargs';
import { BACKEND_NAMES, initBackend, type BackendName } from '../../backend';
import { loadNativeKernelsAddon, nativeKernelsStatus } from '../../backend/native';
import { isPackageInstalled, NATIVE_BACKEND_PACKAGES } from '../../backend/native-backend';
import { describeDistributedEnv, distributedEnv, type DistributedEnv } from '../../distributed/distributed-env';
import { CliIo, EXIT } from '../cli-io';

/** What `floe env` reports. */
export interface EnvReport {
  node: string;
  tfjs: string;
  platform: string;
  cpu: string;
  cores: number;
  backend: string;
  threads: number;
  /** Kernels Floe replaced or added for the backend. */
  kernelOverrides: string[];
  native: {
    active: boolean;
    /** Instruction set of the native GEMM (`none` when inactive). */
    isa: string;
    /** Best instruction set the CPU offers, when the addon loaded. */
    detectedIsa?: string;
    kernels: string[];
    reason?: string;
    file?: string;
  };
  /** Whether the package of each native (libtensorflow) backend is installed. */
  nativeBackends: Record<string, { package: string; installed: boolean }>;
  /** Data parallelism here: what `distributed: auto` runs as, and whether the MPI addon loads. */
  distributed: DistributedEnv;
}

/** Starts the backend and collects the report. */
export async function collectEnv(backend: BackendName): Promise<EnvReport> {
  const info = await initBackend({ name: backend });
  const native = nativeKernelsStatus();
  const load = loadNativeKernelsAddon();
  const onWasm = info.name === 'wasm';
  return {
    node: process.version,
    tfjs: tf.version.tfjs,
    platform: `${process.platform}-${process.arch}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    backend: info.name,
    threads: info.threads,
    kernelOverrides: info.kernelOverrides,
    native: {
      ...native,
      active: native.active && onWasm,
      kernels: onWasm ? native.kernels : [],
      reason: native.active && !onWasm ? `native kernels serve the wasm backend; this one is '${info.name}'` : native.reason,
      detectedIsa: load.addon?.info().detectedIsa,
    },
    nativeBackends: Object.fromEntries(
      Object.entries(NATIVE_BACKEND_PACKAGES).map(([name, pkg]) => [name, { package: pkg, installed: isPackageInstalled(pkg) }]),
    ),
    distributed: distributedEnv(),
  };
}

/** `floe env`: which backend, native instruction set and kernels this machine runs. */
export function envCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'env',
    'Show the compute environment: backend, threads, Floe kernel overrides, native kernels (instruction set, or why they are off), installed tfjs-node packages, data parallelism and the MPI addon.',
    (y) =>
      y
        .option('backend', { type: 'string', choices: [...BACKEND_NAMES], default: 'auto', describe: 'Backend to start and describe' })
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }),
    async (args) => {
      const report = await collectEnv(args.backend as BackendName);
      if (args.json === true) {
        io.out(JSON.stringify(report, null, 2));
      } else {
        const n = report.native;
        io.out(`node ${report.node}, tfjs ${report.tfjs}, ${report.platform}, ${report.cores} × ${report.cpu}`);
        io.out(`backend: ${report.backend} (${report.threads} thread${report.threads === 1 ? '' : 's'})`);
        io.out(`kernel overrides: ${report.kernelOverrides.length === 0 ? '(none)' : report.kernelOverrides.join(', ')}`);
        if (n.active) {
          io.out(`native kernels: active, ${n.isa}${n.detectedIsa !== undefined && n.detectedIsa !== n.isa ? ` (CPU offers ${n.detectedIsa})` : ''}: ${n.kernels.join(', ')}`);
        } else {
          io.out(`native kernels: off (${n.reason ?? 'unknown'})`);
        }
        if (n.file !== undefined) io.out(`native addon: ${n.file}`);
        const missing = Object.entries(report.nativeBackends).filter(([, b]) => !b.installed);
        for (const [name, b] of Object.entries(report.nativeBackends)) if (b.installed) io.out(`${name}: ${b.package} installed`);
        if (missing.length > 0) io.out(`not installed: ${missing.map(([name, b]) => `${b.package} (backend ${name})`).join(', ')}`);
        for (const line of describeDistributedEnv(report.distributed)) io.out(line);
      }
      done(EXIT.ok);
    },
  );
}
