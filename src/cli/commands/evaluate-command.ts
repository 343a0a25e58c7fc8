import * as fs from 'fs';
import * as path from 'path';
import type { Argv } from 'yargs';
import type { LogLevel } from '../../logging/logger';
import type { EvalDataSummary } from '../../data/eval-data';
import { CheckpointError } from '../../errors';
import { evaluateJob } from '../../trainer/evaluate-job';
import { CliIo, EXIT } from '../cli-io';
import { withSetOption } from '../set-option';
import { UsageError } from '../usage-error';

/** The recipe a run folder holds, as floe train resolved it. */
const RESOLVED_RECIPE = 'recipe.resolved.yaml';

/**
 * `floe evaluate <recipe> --checkpoint <dir> [--data FILE]...`, or `floe evaluate <run or checkpoint folder>`: a
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
            describe: "Recipe file (its trainer, tokenizer and data settings), or a run folder: its recipe.resolved.yaml, and its newest checkpoint unless --checkpoint says otherwise; or a checkpoint folder (or checkpoints folder) in a run folder: that run's recipe and this checkpoint",
          })
          .option('checkpoint', { type: 'string', describe: 'Checkpoint folder, folder of step-N checkpoints, or run folder (newest); required with a recipe file' })
          .option('data', {
            type: 'string',
            array: true,
            // Every word after it, unlike --prompt: an unquoted glob the shell expands (--data tests/*.jsonl) is several files.
            requiresArg: true,
            describe:
              "Evaluate on this file (folder or glob) whole instead of the recipe's eval split; repeatable. Read as the recipe's data sources read files (a .jsonl file as its jsonl source: format, fields; a .csv as its csv source: columns) with its data settings, no split, no shuffling, every record",
          })
          .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object: checkpoint, step, data (files, records, tokens) and metrics' }),
      ),
    async (args) => {
      if (args.checkpoint === '') throw new UsageError('--checkpoint needs a value: a checkpoint folder, or a run folder for its newest checkpoint');
      const { recipe, checkpoint, run } = recipeAndCheckpoint(args.recipe as string, args.checkpoint as string | undefined);
      const data = args.data as string[] | undefined;
      if (data !== undefined && data.some((d) => typeof d !== 'string' || d.trim() === '')) throw new UsageError('--data needs a value: a data file, folder or glob (repeat --data for more)');
      // With --json, stdout holds the JSON alone (for `| jq`); progress lines go to stderr.
      const logSink = (level: LogLevel, line: string): void => (level === 'warn' || level === 'error' || args.json === true ? io.err(line) : io.out(line));
      const result = await evaluateJob(recipe, { overrides: (args.set as string[] | undefined) ?? [], checkpoint, data, logSink }).catch((error: unknown) => {
        throw run === undefined ? error : noCheckpointInRun(error, run);
      });
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
  const n = (count: number): string => count.toLocaleString('en-US');
  // Records cut or dropped at maxLength: the counts say what was evaluated, of how many read.
  const limits = [
    ...(data.dropped === undefined ? [] : [`${n(data.dropped)} dropped: nothing to evaluate in their first ${data.maxLength} tokens`]),
    ...(data.cut === undefined ? [] : [`${n(data.cut)} cut to ${data.maxLength} tokens`]),
  ];
  const read = data.records + (data.dropped ?? 0);
  const records = `${data.dropped === undefined ? '' : `${n(data.records)} of `}${n(read)} record${read === 1 ? '' : 's'}${limits.length === 0 ? '' : ` (${limits.join('; ')})`}`;
  const tokens = data.tokens === undefined ? [] : [`${n(data.tokens)} tokens${data.cut === undefined ? '' : ' before cutting'}`];
  const counts = [records, ...tokens].join(', ');
  return data.files === undefined ? `the recipe's eval split (${counts})` : `${data.files.join(', ')} (whole, no split: ${counts})`;
}

/** How many folders up from a checkpoint folder `floe evaluate <checkpoint folder>` looks for its run folder (`<run>/checkpoints/step-N`). */
const RUN_FOLDER_DEPTH = 2;

/**
 * The recipe file and checkpoint to evaluate: a run folder given as `<recipe>` stands for its
 * resolved recipe and its newest checkpoint; a checkpoint folder (or folder of step-N checkpoints)
 * inside a run folder for that run's resolved recipe and this checkpoint. `run` is that run folder
 * when the checkpoint came from it (no --checkpoint).
 */
function recipeAndCheckpoint(recipe: string, checkpoint: string | undefined): { recipe: string; checkpoint: string; run?: string } {
  const stat = fs.statSync(recipe, { throwIfNoEntry: false });
  if (stat === undefined) {
    throw new UsageError(`${recipe} does not exist (resolved to ${path.resolve(recipe)}): give a recipe file (and --checkpoint), or the folder of a run floe train wrote`);
  }
  if (stat.isDirectory()) {
    const resolved = path.join(recipe, RESOLVED_RECIPE);
    if (fs.existsSync(resolved)) return checkpoint === undefined ? { recipe: resolved, checkpoint: recipe, run: recipe } : { recipe: resolved, checkpoint };
    const run = enclosingRun(recipe);
    const isCheckpoint = fs.existsSync(path.join(recipe, 'manifest.json'));
    if (run !== undefined && checkpoint === undefined) return { recipe: path.join(run, RESOLVED_RECIPE), checkpoint: recipe, run };
    if (run !== undefined) {
      throw new UsageError(`${recipe} is ${isCheckpoint ? 'a checkpoint folder' : 'a folder'} inside the run folder ${run}, and --checkpoint ${checkpoint} names another checkpoint: give the run folder with --checkpoint (floe evaluate ${run} --checkpoint ${checkpoint}), or this folder alone`);
    }
    const orphan = runWithoutRecipe(recipe);
    if (orphan !== undefined) {
      const here = path.resolve(orphan) === path.resolve(recipe) ? 'a run folder, but its' : `${isCheckpoint ? 'a checkpoint folder' : 'a folder'} in the run folder ${orphan}, but that run's`;
      throw new UsageError(
        `${recipe} is ${here} ${path.join(orphan, RESOLVED_RECIPE)} is missing (floe train writes it; it is the recipe to evaluate with): ` +
          `give the recipe file the run was trained with, and the checkpoint: floe evaluate <recipe.yaml> --checkpoint ${checkpoint ?? recipe}`,
      );
    }
    const what = isCheckpoint ? 'a checkpoint folder (manifest.json) outside any run folder' : `a folder without ${RESOLVED_RECIPE}, so not a run folder`;
    throw new UsageError(`${recipe} is ${what}: give a recipe file (and --checkpoint), or the folder of a run floe train wrote`);
  }
  if (checkpoint === undefined) {
    throw new UsageError(`floe evaluate needs --checkpoint with a recipe file (a checkpoint folder, or a run folder for its newest checkpoint); or give the run folder alone: floe evaluate <run folder>`);
  }
  return { recipe, checkpoint };
}

/** Files floe train writes in a run folder besides recipe.resolved.yaml (status and metrics are on by default). */
const RUN_FOLDER_FILES = ['status.json', 'metrics.jsonl'];

/** Folder of the `floe` engine's checkpoints in a run folder, by default. */
const CHECKPOINTS_DIR = 'checkpoints';

/**
 * The run folder whose recipe.resolved.yaml was deleted that `folder` is (or is at most
 * `RUN_FOLDER_DEPTH` folders inside), if any: it still holds the run's other files or its
 * `checkpoints` folder.
 */
function runWithoutRecipe(folder: string): string | undefined {
  const isRun = (dir: string): boolean => [...RUN_FOLDER_FILES, CHECKPOINTS_DIR].some((name) => fs.existsSync(path.join(dir, name)));
  return isRun(folder) ? folder : enclosingRun(folder, isRun);
}

/** The run folder (by default, one holding recipe.resolved.yaml) at most `RUN_FOLDER_DEPTH` folders above `folder`, if any. */
function enclosingRun(folder: string, isRun = (dir: string): boolean => fs.existsSync(path.join(dir, RESOLVED_RECIPE))): string | undefined {
  let dir = folder;
  for (let up = 0; up < RUN_FOLDER_DEPTH; up++) {
    const parent = path.dirname(path.resolve(dir)) === path.resolve(dir) ? undefined : path.join(dir, '..');
    if (parent === undefined) return undefined;
    dir = path.normalize(parent);
    if (isRun(dir)) return dir;
  }
  return undefined;
}

/**
 * A run folder given alone that holds no checkpoint yet (a run that failed, or is still going,
 * before its first save): the error says what its status.json tells and what to give instead.
 */
function noCheckpointInRun(error: unknown, run: string): unknown {
  if (!(error instanceof CheckpointError) || !error.message.startsWith('No Floe checkpoint')) return error;
  return new CheckpointError(`${error.message}${runStatusNote(run)} To evaluate this run's recipe on a checkpoint saved elsewhere, give it: floe evaluate ${run} --checkpoint <checkpoint folder>.`);
}

/** ` The run failed at step 2 (run/status.json): why` or ` The run is still going (step 3 of 40, run/status.json)…`; empty without a status. */
function runStatusNote(run: string): string {
  const file = path.join(run, 'status.json');
  let status: { state?: unknown; step?: unknown; totalSteps?: unknown; error?: unknown };
  try {
    status = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof status;
  } catch {
    return '';
  }
  if (status.state === 'failed') return ` The run failed at step ${String(status.step)} (${file})${typeof status.error === 'string' ? `: ${status.error.replace(/[.\s]*$/, '')}.` : '.'}`;
  if (status.state === 'running') return ` The run is still going (step ${String(status.step)} of ${String(status.totalSteps)}, ${file}) and has saved no checkpoint yet: evaluate it once it has.`;
  return '';
}
