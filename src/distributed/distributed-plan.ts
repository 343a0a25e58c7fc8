import * as os from 'os';
import { DistributedConfig, DISTRIBUTED_BACKENDS, DistributedBackend } from './distributed-config';
import { DistributedSetupError } from './distributed-errors';
import { didYouMean } from '../errors/did-you-mean';

/** Environment variable that decides what `distributed.backend: auto` means (a recipe's explicit choice wins). */
export const DISTRIBUTED_ENV = 'FLOE_DISTRIBUTED';

/** How a job will run, resolved from the recipe, the environment and the machine. */
export interface DistributedPlan {
  /** The transport chosen (`auto` resolved): `none` trains alone. */
  backend: 'none' | 'threads' | 'mpi';
  /** Worker threads (`threads`), ranks announced by the launcher (`mpi`, 0 if it did not say), else 1. */
  workers: number;
  /** Collective timeout in milliseconds. */
  timeoutMs: number;
  /** V8 young-generation size of each worker thread in MiB (`threads`; 0 keeps Node's default). */
  youngGenerationMb: number;
  /** Whether V8's allocation-site pretenuring stays on while ranks train (`threads`, `mpi`). */
  pretenuring: boolean;
}

/** Rank and size announced by mpirun (Open MPI, PMIx or PMI environment), if this process was started by it. */
export function mpiLaunch(env: NodeJS.ProcessEnv = process.env): { rank: number; size: number } | undefined {
  const size = env.OMPI_COMM_WORLD_SIZE ?? env.PMI_SIZE;
  const rank = env.OMPI_COMM_WORLD_RANK ?? env.PMIX_RANK ?? env.PMI_RANK;
  if (size === undefined && env.PMIX_RANK === undefined) return undefined;
  return { rank: Number(rank ?? 0), size: size === undefined ? 0 : Number(size) };
}

/** Cores this process may use (respects CPU affinity). */
export function usableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Resolves `distributed:`: `none` runs in this thread; `threads` runs `workers` worker threads;
 * `mpi` makes this process one rank of an mpirun job. `auto` uses {@link DISTRIBUTED_ENV} if set,
 * then `mpi` under mpirun, then `threads` when `workers` resolves to more than 1, else `none`.
 */
export function planDistributed(config: DistributedConfig, env: NodeJS.ProcessEnv = process.env, cores = usableCores()): DistributedPlan {
  const timeoutMs = config.timeoutSec * 1000;
  const youngGenerationMb = config.workerYoungGenerationMb;
  const pretenuring = config.allocationSitePretenuring;
  const workers = config.workers === 'auto' ? cores : config.workers;
  const launch = mpiLaunch(env);
  let backend: DistributedBackend = config.backend;
  if (backend === 'auto') backend = envBackend(env);
  if (backend === 'auto') backend = launch !== undefined ? 'mpi' : workers > 1 ? 'threads' : 'none';
  switch (backend) {
    case 'none':
      // Every mpirun rank would train a whole run of its own, all into the same run folder.
      if (launch !== undefined && launch.size > 1) {
        const chosen = config.backend === 'none' ? `distributed.backend 'none'` : `${DISTRIBUTED_ENV}=none`;
        throw new DistributedSetupError(
          `${chosen} cannot run inside mpirun (${launch.size} ranks): every rank would train its own copy of the run into the same run folder. Use backend 'mpi' (or 'auto') under mpirun, or start one process without mpirun.`,
        );
      }
      return { backend, workers: 1, timeoutMs, youngGenerationMb, pretenuring };
    case 'threads':
      if (launch !== undefined && launch.size !== 1) {
        throw new DistributedSetupError(
          `distributed.backend 'threads' cannot run inside mpirun (${launch.size} ranks): every rank would start its own workers. Use backend 'mpi' (or 'auto') under mpirun.`,
        );
      }
      return { backend, workers, timeoutMs, youngGenerationMb, pretenuring };
    case 'mpi':
      if (launch === undefined) {
        throw new DistributedSetupError(
          `distributed.backend 'mpi' needs the job started by mpirun (no OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE in the environment), e.g. mpirun -np 2 npx floe train recipe.yaml. On one machine, backend 'threads' needs no launcher.`,
        );
      }
      return { backend, workers: launch.size, timeoutMs, youngGenerationMb, pretenuring };
  }
}

/**
 * A warning when more worker threads than usable cores were asked for: they share the cores, so
 * each step waits for the slowest of them and tokens/s is usually lower than with one per core.
 */
export function oversubscriptionWarning(workers: number, cores = usableCores()): string | undefined {
  if (workers <= cores) return undefined;
  return `${workers} worker threads on ${cores} usable core${cores === 1 ? '' : 's'}: they share the cores, so each step waits for the slowest and tokens/s is usually lower than with ${cores} (distributed.workers: auto uses ${cores})`;
}

/**
 * What one optimizer step of a data-parallel job averages over, for the start-up log:
 * `global batch 16 × 2 × 2 = 64 (microBatchSize × gradientAccumulationSteps × ranks)`.
 */
export function globalBatchSummary(options: { microBatchSize: number; gradientAccumulationSteps: number; ranks: number }): string {
  const { microBatchSize: micro, gradientAccumulationSteps: accumulation, ranks } = options;
  return `global batch ${micro} × ${accumulation} × ${ranks} = ${micro * accumulation * ranks} (microBatchSize × gradientAccumulationSteps × ranks)`;
}

function envBackend(env: NodeJS.ProcessEnv): DistributedBackend {
  const value = env[DISTRIBUTED_ENV];
  if (value === undefined || value === '') return 'auto';
  if (!(DISTRIBUTED_BACKENDS as readonly string[]).includes(value)) {
    throw new DistributedSetupError(`${DISTRIBUTED_ENV}=${value} is not a distributed backend. Supported: ${DISTRIBUTED_BACKENDS.join(', ')}.${didYouMean(value, DISTRIBUTED_BACKENDS)}`);
  }
  return value as DistributedBackend;
}
