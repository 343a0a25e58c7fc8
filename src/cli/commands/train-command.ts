import type { Argv } from 'yargs';
import { SIGNAL_EXIT_CODES } from '../../callbacks/signal-stop-callback';
import { mpiLaunch } from '../../distributed/distributed-plan';
import type { LogLevel } from '../../logging/logger';
import { runJob } from '../../trainer/run-job';
import { CliIo, EXIT } from '../cli-io';
import { withSetOption } from '../set-option';
import { formatMetricValue } from '../../trainer/batch-stats';

/** `floe train <recipe>`: runs a recipe. */
export function trainCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'train <recipe>',
    'Train with a recipe (YAML). The recipe is validated in full before any work starts.',
    (y) =>
      withSetOption(
        y
          .positional('recipe', { type: 'string', demandOption: true, describe: 'Recipe file' })
          .option('resume', {
            type: 'string',
            describe: "Resume from a checkpoint folder, a folder of step-N checkpoints, or a run folder (its newest); with no value, the recipe's own run folder (outputDir)",
          }),
      ),
    async (args) => {
      // Under mpirun every rank runs this command; rank 0 alone reports (other ranks print errors only).
      const rank = mpiLaunch()?.rank ?? 0;
      // The run's log goes through the CLI's io like everything else it prints; runJob makes the
      // logger, so the recipe's `quiet` (and a non-zero rank's errors-only) apply to it.
      const logSink = (level: LogLevel, line: string): void => (level === 'warn' || level === 'error' ? io.err(line) : io.out(line));
      // `--resume` with no value parses as '': the recipe's own run folder, not the working folder.
      const resume = args.resume as string | undefined;
      const result = await runJob(args.recipe as string, {
        overrides: (args.set as string[] | undefined) ?? [],
        ...(resume === '' ? { resumeRunFolder: true } : { resumeFrom: resume }),
        logSink,
      });
      if (rank !== 0) return done(EXIT.ok);
      const loss = result.finalLoss === undefined ? '' : `, final loss ${formatMetricValue(result.finalLoss, 4)}`;
      const stopped = result.status === 'stopped' ? ` (stopped: ${result.stopReason})` : '';
      // After a resume, the time covers only this process's steps: say how many those were.
      const trained = result.globalStep - result.startStep;
      const resumed = result.startStep > 0 ? ` (${trained} after resuming at step ${result.startStep})` : '';
      io.out(`done: ${result.globalStep} step${result.globalStep === 1 ? '' : 's'}${resumed} in ${result.runtimeSec.toFixed(1)}s${loss}${stopped}`);
      if (result.lastCheckpointPath !== undefined) io.out(`last checkpoint: ${result.lastCheckpointPath}`);
      // A run a signal stopped saved cleanly, but did not finish: say so to the shell (`floe train && next` must not go on).
      const signalCode = result.status === 'stopped' && result.stopReason !== undefined ? SIGNAL_EXIT_CODES[result.stopReason] : undefined;
      done(signalCode ?? EXIT.ok);
    },
  );
}
