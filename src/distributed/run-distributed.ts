import * as path from 'path';
import { checkBackendRequest } from '../backend/check-backend';
import { metricSourcesOf } from '../report/metric-sources';
import { Logger } from '../logging/logger';
import type { RunJobOptions } from '../trainer/run-job';
import type { TrainerConfig } from '../trainer/trainer-config';
import type { TrainingResult } from '../trainer/training-result';
import { Communicator } from './communicator';
import { DistributedSetupError } from './distributed-errors';
import { globalBatchSummary, oversubscriptionWarning, planDistributed } from './distributed-plan';
import { launchThreadWorkers } from './launch-threads';
import { loadMpiBinding, MpiCommunicator } from './mpi-communicator';
import { withoutPretenuring } from './pretenuring';
import { recordRankFailure } from './record-rank-failure';
import { runMpiRank } from './run-mpi-rank';

/**
 * Runs one job as the recipe's `distributed:` section says: `run(undefined)` in this thread
 * (`none`), on worker threads that each call `runJob` with a communicator (`threads`), or as this
 * process's rank of an mpirun job (`mpi`). A communicator already in `options` means this is a
 * rank: run it.
 */
export async function runDistributed(
  recipe: string | Record<string, unknown>,
  options: RunJobOptions,
  config: TrainerConfig,
  run: (communicator?: Communicator) => Promise<TrainingResult>,
): Promise<TrainingResult> {
  if (options.communicator !== undefined) return run(options.communicator);
  const plan = planDistributed(config.distributed);
  const outputDir = path.resolve(config.outputDir as string);
  switch (plan.backend) {
    case 'none':
      return run(undefined);
    case 'threads': {
      if (options.onTrainerReady !== undefined) {
        throw new DistributedSetupError(
          `onTrainerReady cannot reach trainers that run in worker threads; set distributed.backend: none for in-process hooks, or use a callback (recipe 'callbacks:' or 'code:').`,
        );
      }
      // A backend the workers could not start fails here, once, before any worker starts.
      checkBackendRequest({ name: config.backend.name, threads: config.backend.threads });
      const logger = options.logger ?? new Logger({ level: config.quiet ? 'warn' : 'info', sink: options.logSink });
      const batch = globalBatchSummary({ microBatchSize: config.microBatchSize, gradientAccumulationSteps: config.gradientAccumulationSteps, ranks: plan.workers });
      if (!config.quiet) logger.info(`floe: data parallel on ${plan.workers} worker thread${plan.workers === 1 ? '' : 's'}, ${batch}`);
      const crowded = oversubscriptionWarning(plan.workers);
      if (crowded !== undefined) logger.warn(crowded);
      // Set before the workers start, so their isolates run with it from the first step.
      return withoutPretenuring(plan.pretenuring, () =>
        launchThreadWorkers({
          recipe,
          recipeOptions: { overrides: [...(options.overrides ?? [])], baseDir: options.baseDir, name: options.name, resumeFrom: options.resumeFrom },
          workers: plan.workers,
          timeoutMs: plan.timeoutMs,
          youngGenerationMb: plan.youngGenerationMb,
          logger,
          outputDir,
          status: config.status,
          statusFile: metricSourcesOf(outputDir, config.callbacks ?? []).statusFile,
          handleSignals: config.handleSignals,
          modules: options.workerModules,
        }),
      );
    }
    case 'mpi': {
      const comm = new MpiCommunicator(loadMpiBinding(), plan.timeoutMs);
      if (comm.rank === 0 && !config.quiet) {
        const batch = globalBatchSummary({ microBatchSize: config.microBatchSize, gradientAccumulationSteps: config.gradientAccumulationSteps, ranks: comm.size });
        (options.logger ?? new Logger({ level: 'info', sink: options.logSink })).info(`floe: data parallel on ${comm.size} MPI rank${comm.size === 1 ? '' : 's'}, ${batch}`);
      }
      return runMpiRank(
        comm,
        () => withoutPretenuring(plan.pretenuring, () => run(comm)),
        {
          // Rank 0 has the run's step and last checkpoint: it records the failure in status.json and
          // aborts the job. If it does not within a second (busy in a long step, or gone), this rank records it.
          onRankFailure: async (reason) => {
            if (!config.status) return;
            const file = metricSourcesOf(outputDir, config.callbacks ?? []).statusFile;
            await recordRankFailure({ file, error: new Error(reason), jobStartMs: Date.now() - process.uptime() * 1000, waitForMainRankMs: 1000 }).catch(() => undefined);
          },
        },
      );
    }
  }
}
