import * as path from 'path';
import type { Argv } from 'yargs';
import { writeReport } from '../../report/write-report';
import { CliIo, EXIT } from '../cli-io';
import { UsageError } from '../usage-error';

/** `floe report <runDir>`: loss / lr / eval curves as SVG and PNG plus report.html, from the run's metrics. */
export function reportCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'report <runDir>',
    'Write loss, learning-rate and eval curves (SVG, PNG) and report.html for a run folder (works while it trains).',
    (y) =>
      y
        .positional('runDir', { type: 'string', demandOption: true, describe: 'Run folder (holds metrics.jsonl or TensorBoard events)' })
        .option('out', { type: 'string', describe: 'Write the report here instead of the run folder' }),
    async (args) => {
      // A bare --out parses as '': the report went into the working folder without a word.
      if (args.out === '') throw new UsageError('--out needs a value: the folder to write the report to (leave --out out to write into the run folder)');
      const { html, files, points, skippedLines } = await writeReport(args.runDir as string, { outDir: args.out as string | undefined });
      // A damaged line (a full disk, two runs writing one file) would otherwise leave a silent gap in the curves.
      if (skippedLines.length > 0) {
        const shown = skippedLines.slice(0, 5).map((l) => (path.relative(process.cwd(), l).startsWith('..') ? l : path.relative(process.cwd(), l)));
        io.err(`warn: left out ${skippedLines.length} line${skippedLines.length === 1 ? '' : 's'} of metrics that ${skippedLines.length === 1 ? 'is' : 'are'} not JSON: ${shown.join(', ')}${skippedLines.length > 5 ? ', ...' : ''}`);
      }
      for (const file of files) io.out(`wrote ${path.relative(process.cwd(), file) || file}`);
      io.out(`report: ${html}`);
      // A run that has not logged yet is no error (the report works while training), but say why it is empty.
      if (points === 0) io.err(`warn: ${args.runDir} has no training or evaluation records yet, so the report has no charts`);
      done(EXIT.ok);
    },
  );
}
