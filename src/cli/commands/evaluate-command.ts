import * as path from 'path';
import type { Argv } from 'yargs';
import type { LogLevel } from '../../logging/logger';
import { evaluateJob } from '../../trainer/evaluate-job';
import { CliIo, EXIT } from '../cli-io';
import { withSetOption } from '../set-option';
import { UsageError } from '../usage-error';

/** `floe evaluate <recipe> --checkpoint <dir>`: a checkpoint's eval metrics on the recipe's eval split. */
export function evaluateCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'evaluate <recipe>',
    "Evaluate a checkpoint on the recipe's eval split, as training does; prints the metrics (one JSON line with --json). Trains nothing, writes no run folder. Under mpirun the ranks share the eval split.",
    (y) =>
      withSetOption(
        y
          .positional('recipe', { type: 'string', demandOption: true, describe: 'Recipe file (its data and trainer; --set data.sources=... to evaluate other data)' })
          .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint folder, folder of step-N checkpoints, or run folder (newest)' })
          .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object: checkpoint, step and metrics' }),
      ),
    async (args) => {
      if (args.checkpoint === '') throw new UsageError('--checkpoint needs a value: a checkpoint folder, or a run folder for its newest checkpoint');
      // With --json, stdout holds the JSON alone (for `| jq`); progress lines go to stderr.
      const logSink = (level: LogLevel, line: string): void => (level === 'warn' || level === 'error' || args.json === true ? io.err(line) : io.out(line));
      const result = await evaluateJob(args.recipe as string, { overrides: (args.set as string[] | undefined) ?? [], checkpoint: args.checkpoint as string, logSink });
      // Under mpirun the ranks share the evaluation and each gets the job's metrics: rank 0 alone prints them.
      if (result.rank !== 0) return done(EXIT.ok);
      if (args.json === true) {
        io.out(JSON.stringify({ checkpoint: result.checkpoint, step: result.step, metrics: result.metrics }));
      } else {
        io.out(`${path.relative(process.cwd(), result.checkpoint) || result.checkpoint} (step ${result.step}):`);
        for (const [name, value] of Object.entries(result.metrics)) io.out(`  ${name}: ${value}`);
      }
      done(EXIT.ok);
    },
  );
}
