import * as path from 'path';
import type { Argv } from 'yargs';
import { BACKEND_NAMES, BackendName } from '../../backend/backend-names';
import { FEATURE_ROWS_FORMATS, FeatureRowsFormat, loadSupervisedPredictor, readFeatureRows } from '../../trainer/supervised-predictor';
import { CliIo, EXIT } from '../cli-io';
import { UsageError } from '../usage-error';

/** `floe predict --checkpoint <dir> --input rows.jsonl|rows.csv`: one JSON prediction per input row. */
export function predictCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'predict',
    'Predict with a supervised checkpoint: reads feature rows (JSONL objects keyed by feature name, or arrays; or a CSV file with a header row, read as the csv training source reads it), prints one JSON prediction per row (blank lines are skipped), in the targets\' own units.',
    (y) =>
      y
        .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint folder (runs/x/checkpoints/step-000400), folder of step-N checkpoints, or run folder (newest); it may also come first: floe predict <checkpoint> ...' })
        .option('input', { type: 'string', demandOption: true, describe: 'File of feature rows: .csv/.tsv files are read as CSV (header row naming the columns; other columns, such as the label, are ignored), other names as JSON Lines' })
        .option('format', { type: 'string', choices: FEATURE_ROWS_FORMATS as unknown as string[], describe: "Input format, whatever the file's name (default: csv for .csv/.tsv, else jsonl)" })
        .option('delimiter', { type: 'string', describe: "CSV cell separator, e.g. ';' or '\\t' for a tab (default: a tab for .tsv, else ',')" })
        .option('backend', { type: 'string', choices: BACKEND_NAMES as unknown as string[], describe: "Backend (default: the recipe's)" }),
    async (args) => {
      if (args.checkpoint === '') throw new UsageError('--checkpoint needs a value: a checkpoint folder, or a run folder for its newest checkpoint');
      if (args.input === '') throw new UsageError('--input needs a value: a CSV or JSONL file of feature rows');
      if (args.delimiter === '') throw new UsageError("--delimiter needs a value: the CSV cell separator, e.g. ';' or '\\t' for a tab");
      const delimiter = args.delimiter === '\\t' || args.delimiter === 'tab' ? '\t' : (args.delimiter as string | undefined);
      const predictor = await loadSupervisedPredictor(args.checkpoint as string, { backend: args.backend as BackendName | undefined });
      try {
        const rows = await readFeatureRows(path.resolve(args.input as string), predictor.featureNames, { format: args.format as FeatureRowsFormat | undefined, delimiter });
        for (const prediction of await predictor.predict(rows)) io.out(JSON.stringify(prediction));
      } finally {
        predictor.dispose();
      }
      done(EXIT.ok);
    },
  );
}
