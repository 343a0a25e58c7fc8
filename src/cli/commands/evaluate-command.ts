import * as fs from 'fs';
import * as path from 'path';
import type { Argv } from 'yargs';
import type { LogLevel } from '../../logging/logger';
import type { EvalDataSummary } from '../../data/eval-data';
import { evaluateJob } from '../../trainer/evaluate-job';
import { CliIo, EXIT } from '../cli-io';
import { withSetOption } from '../set-option';
import { UsageError } from '../usage-error';

/**
 * `floe evaluate <recipe> --checkpoint <dir> [--data FILE]...`, or `floe evaluate <run folder>`: a
 * checkpoint's eval metrics on the recipe's eval split, or on whole data files.
 */
export function evaluateCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'evaluate <recipe>',
    "Evaluate a checkpoint on the recipe's eval split, as training does, or with --data on whole data files (a test set); prints the data and the metrics (one JSON line with --json). Trains nothing, writes no run folder. Under mpirun the ranks share the data.",
    (y) =>
      withSetOption(
        y
          .positional('recipe', {
            type: 'string',
            demandOption: true,
            describe: "Recipe file (its trainer, tokenizer and data settings), or a run folder: its recipe.resolved.yaml, and its newest checkpoint unless --checkpoint says otherwise",
          })
          .option('checkpoint', { type: 'string', describe: 'Checkpoint folder, folder of step-N checkpoints, or run folder (newest); required with a recipe file' })
          .option('data', {
            type: 'string',
            array: true,
            requiresArg: true,
            describe:
              "Evaluate on this file (folder or glob) whole instead of the recipe's eval split; repeatable. Read as the recipe's data sources read files (a .jsonl file as its jsonl source: format, fields; a .csv as its csv source: columns) with its data settings, no split, no shuffling, every record",
          })
          .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object: checkpoint, step, data (files, records, tokens) and metrics' }),
      ),
    async (args) => {
      if (args.checkpoint === '') throw new UsageError('--checkpoint needs a value: a checkpoint folder, or a run folder for its newest checkpoint');
      const { recipe, checkpoint } = recipeAndCheckpoint(args.recipe as string, args.checkpoint as string | undefined);
      const data = args.data as string[] | undefined;
      if (data !== undefined && data.some((d) => typeof d !== 'string' || d.trim() === '')) throw new UsageError('--data needs a value: a data file, folder or glob (repeat --data for more)');
      // With --json, stdout holds the JSON alone (for `| jq`); progress lines go to stderr.
      const logSink = (level: LogLevel, line: string): void => (level === 'warn' || level === 'error' || args.json === true ? io.err(line) : io.out(line));
      const result = await evaluateJob(recipe, { overrides: (args.set as string[] | undefined) ?? [], checkpoint, data, logSink });
      // Under mpirun the ranks share the evaluation and each gets the job's metrics: rank 0 alone prints them.
      if (result.rank !== 0) return done(EXIT.ok);
      if (args.json === true) {
        io.out(JSON.stringify({ checkpoint: result.checkpoint, step: result.step, data: result.data, metrics: result.metrics }));
      } else {
        io.out(`${path.relative(process.cwd(), result.checkpoint) || result.checkpoint} (step ${result.step}):`);
        io.out(`  data: ${describeData(result.data)}`);
        for (const [name, value] of Object.entries(result.metrics)) io.out(`  ${name}: ${value}`);
      }
      done(EXIT.ok);
    },
  );
}

/** `test.jsonl (whole, no split: 40 records, 1,234 tokens)` or `the recipe's eval split (6 records, 180 tokens)`. */
function describeData(data: EvalDataSummary): string {
  const counts = [`${data.records.toLocaleString('en-US')} record${data.records === 1 ? '' : 's'}`, ...(data.tokens === undefined ? [] : [`${data.tokens.toLocaleString('en-US')} tokens`])].join(', ');
  return data.files === undefined ? `the recipe's eval split (${counts})` : `${data.files.join(', ')} (whole, no split: ${counts})`;
}

/** The recipe file and checkpoint to evaluate: a run folder given as `<recipe>` stands for its resolved recipe and its newest checkpoint. */
function recipeAndCheckpoint(recipe: string, checkpoint: string | undefined): { recipe: string; checkpoint: string } {
  const resolved = path.join(recipe, 'recipe.resolved.yaml');
  if (fs.statSync(recipe, { throwIfNoEntry: false })?.isDirectory()) {
    if (!fs.existsSync(resolved)) {
      throw new UsageError(`${recipe} is a folder without recipe.resolved.yaml, so not a run folder: give a recipe file (and --checkpoint), or the folder of a run floe train wrote`);
    }
    return { recipe: resolved, checkpoint: checkpoint ?? recipe };
  }
  if (checkpoint === undefined) {
    throw new UsageError(`floe evaluate needs --checkpoint with a recipe file (a checkpoint folder, or a run folder for its newest checkpoint); or give the run folder alone: floe evaluate <run folder>`);
  }
  return { recipe, checkpoint };
}
