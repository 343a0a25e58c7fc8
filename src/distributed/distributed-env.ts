import { DistributedConfig } from './distributed-config';
import { DISTRIBUTED_ENV, mpiLaunch, planDistributed, usableCores } from './distributed-plan';
import { loadMpiBinding, MPI_INSTALL_HINT } from './mpi-communicator';

/** What `floe env` says about data parallelism on this machine. */
export interface DistributedEnv {
  /** Cores this process may use (what `workers: auto` starts). */
  usableCores: number;
  /** What a recipe's default `distributed:` (backend and workers `auto`) runs as here, or why it cannot start. */
  auto:
    | {
        /** The communicator a default recipe gets. */
        backend: 'none' | 'threads' | 'mpi';
        /** Processes or threads it trains on. */
        workers: number;
      }
    | {
        /** Why a default recipe cannot start here. */
        error: string;
      };
  /** The `FLOE_DISTRIBUTED` value that decides `auto`, when set. */
  envOverride?: string;
  /** Rank and size announced by mpirun, when this process was started by it. */
  mpiLaunch?: {
    /** This process's rank. */
    rank: number;
    /** Ranks in the job. */
    size: number;
  };
  /** Whether the Open MPI binding (`native/mpi`) loads: its library version, or what to do. */
  mpi:
    | {
        /** The binding loads. */
        available: true;
        /** First line of MPI_Get_library_version. */
        version: string;
      }
    | {
        /** The binding is missing or cannot load. */
        available: false;
        /** What failed and how to build it. */
        reason: string;
      };
}

/** Resolves the default `distributed:` section and probes the MPI binding without initializing MPI. */
export function distributedEnv(env: NodeJS.ProcessEnv = process.env, cores = usableCores()): DistributedEnv {
  let auto: DistributedEnv['auto'];
  try {
    const plan = planDistributed(new DistributedConfig(), env, cores);
    auto = { backend: plan.backend, workers: plan.workers };
  } catch (error) {
    auto = { error: (error as Error).message };
  }
  let mpi: DistributedEnv['mpi'];
  try {
    // version() is MPI_Get_library_version, which needs no MPI_Init.
    mpi = { available: true, version: loadMpiBinding().version().split(/[,\n]/)[0].trim() };
  } catch (error) {
    // Built but not loadable (libmpi missing, another Node ABI) says so too: the loader's reasons follow.
    const tried = /\(Tried (.*)\.\)$/s.exec((error as Error).message)?.[1];
    mpi = { available: false, reason: `not built or not loadable; ${MPI_INSTALL_HINT}${tried === undefined ? '' : ` (tried ${tried})`}` };
  }
  const override = env[DISTRIBUTED_ENV];
  return { usableCores: cores, auto, envOverride: override === undefined || override === '' ? undefined : override, mpiLaunch: mpiLaunch(env), mpi };
}

/** One line per fact, as `floe env` prints them. */
export function describeDistributedEnv(d: DistributedEnv): string[] {
  let auto: string;
  if ('error' in d.auto) auto = `cannot start: ${d.auto.error}`;
  else if (d.auto.backend === 'threads') auto = `threads, ${d.auto.workers} worker threads (one per usable core)`;
  else if (d.auto.backend === 'mpi') auto = `mpi, rank ${d.mpiLaunch?.rank ?? 0} of ${d.auto.workers} (started by mpirun)`;
  else auto = `none (one process, one thread${d.usableCores === 1 ? ': 1 usable core' : ''})`;
  const why = d.envOverride !== undefined ? ` (${DISTRIBUTED_ENV}=${d.envOverride})` : '';
  return [
    `data parallel: distributed auto → ${auto}${why}`,
    d.mpi.available ? `mpi addon: built (${d.mpi.version})` : `mpi addon: ${d.mpi.reason}`,
  ];
}
