import * as fs from 'fs';
import * as path from 'path';
import type { Argv } from 'yargs';
import { initBackend } from '../../backend/init-backend';
import { BACKEND_NAMES, BackendName } from '../../backend/backend-names';
import { EXPORT_FORMATS, ExportFormat, exportModel } from '../../checkpoint/export/export-model';
import { hfExportTokenizer } from '../../checkpoint/export/hf-export-tokenizer';
import { findCheckpoints } from '../../checkpoint/find-checkpoints';
import { loadCheckpointModel } from '../../checkpoint/load-checkpoint-model';
import { isWeightsOnlyExport } from '../../checkpoint/weights-only-export';
import { CheckpointError } from '../../errors';
import { fsErrorReason } from '../../errors/fs-error-reason';
import { CliIo, EXIT } from '../cli-io';
import { UsageError } from '../usage-error';

/**
 * `floe export --checkpoint <dir> --format safetensors|tfjs|hf --out <dir>`: writes a checkpoint's
 * model as safetensors (Floe names), as a tfjs graph model a browser loads, or as a HuggingFace
 * folder (config.json, model.safetensors, generation_config.json, tokenizer files).
 */
export function exportCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'export',
    'Export a checkpoint\'s model: safetensors (weights by Floe name), tfjs (a GPT as a graph model for tf.loadGraphModel in the browser; other models as their weights only) or hf (a GPT-2, Llama, Qwen2, Qwen3 or Gemma 3-style GPT as a HuggingFace folder for transformers, vLLM or llama.cpp\'s converter, with its tokenizer files).',
    (y) =>
      y
        .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint folder, folder of step-N checkpoints, or run folder (newest); it may also come first: floe export <checkpoint> ...' })
        .option('format', { choices: EXPORT_FORMATS as unknown as string[], demandOption: true, describe: 'Output format' })
        .option('out', { type: 'string', demandOption: true, describe: 'Output folder (must not exist unless --overwrite)' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'Replace an earlier export at --out (never a run folder, checkpoint or other files)' })
        .option('backend', { choices: BACKEND_NAMES as unknown as string[], default: 'cpu', describe: 'tfjs backend used while exporting' }),
    async (args) => {
      const out = args.out as string;
      if (args.checkpoint === '') throw new UsageError('--checkpoint needs a value: a checkpoint folder, a folder of step-N checkpoints, or a run folder (its newest)');
      // An empty --out would be the working folder.
      if (out.trim() === '') throw new UsageError('--out needs a value: the folder to write the export to (it must not exist unless --overwrite)');
      // Before loading anything, and in flag terms (the export API's own message says 'overwrite').
      if (args.overwrite !== true && fs.existsSync(out)) {
        // --overwrite replaces a folder only: suggesting it for a file led to a second refusal.
        if (!fs.statSync(out).isDirectory()) throw new CheckpointError(`--out '${out}' is a file, not a folder: --out names the folder the export writes its files into. Choose a folder path that does not exist yet, e.g. --out ${besideAsFolder(out)}.`);
        throw new CheckpointError(`--out '${out}' already exists: pass --overwrite to replace an earlier export there, or choose another --out.`);
      }
      await refuseCheckpointFolderOut(out);
      await initBackend({ name: args.backend as BackendName });
      const loaded = await loadCheckpointModel(args.checkpoint as string);
      try {
        const format = args.format as ExportFormat;
        const tokenizer = format === 'hf' ? hfExportTokenizer(loaded.trainer) : undefined;
        await exportModel(loaded.model, args.out as string, { format, tokenizer, modelType: loaded.config.model.type, overwrite: args.overwrite as boolean, metadata: { step: String(loaded.step) } }).catch(
          (error: unknown) => {
            throw outError(error, args.out as string);
          },
        );
        io.out(`exported ${path.relative(process.cwd(), loaded.dir) || '.'} (step ${loaded.step}) as ${format} to ${args.out as string}${weightsOnlyNote(format, out, loaded.config.model.type)}${tokenizer?.note === undefined ? '' : ` (${tokenizer.note})`}`);
      } finally {
        loaded.dispose();
      }
      done(EXIT.ok);
    },
  );
}

/** `runs/model.safetensors` → `runs/model-export`: a folder name beside a file given as --out. */
function besideAsFolder(file: string): string {
  return path.join(path.dirname(file), `${path.parse(file).name}-export`);
}

/**
 * An export named `step-N` among a run's floe checkpoints would pass for one of them: keepLast
 * would count and prune it, and a resume of the run would have to skip it. One inside a
 * checkpoint folder would be pruned with it.
 */
async function refuseCheckpointFolderOut(out: string): Promise<void> {
  const target = path.resolve(out);
  // Inside a checkpoint (or an export), the export would be deleted with it when keepLast prunes.
  for (let p = path.dirname(target); p !== path.dirname(p); p = path.dirname(p)) {
    if (/^step-\d+$/.test(path.basename(p)) && fs.existsSync(path.join(p, 'manifest.json'))) {
      throw new CheckpointError(`--out '${out}' is inside the checkpoint ${p}: the export would be deleted with it when keepLast prunes it. Choose an --out outside the run's checkpoint folders.`);
    }
  }
  // An existing folder is --overwrite's to judge (it names a checkpoint as such).
  if (!/^step-\d+$/.test(path.basename(target)) || fs.existsSync(target)) return;
  const beside = await findCheckpoints(path.dirname(target));
  for (const c of beside) {
    if (await isWeightsOnlyExport(c.dir)) continue;
    throw new CheckpointError(
      `--out '${out}' is a step-N folder among the floe checkpoints in ${path.dirname(target)}: the run would take the export for one of its checkpoints (keepLast would count and delete it). ` +
        `Choose an --out outside that folder, e.g. ${path.join(path.dirname(path.dirname(target)), 'exports', path.basename(target))}.`,
    );
  }
}

/**
 * A tfjs export holds a graph for `tf.loadGraphModel` only for models that export one (GPT);
 * others get their weights alone, which the help's "a graph model" would not lead one to expect.
 */
function weightsOnlyNote(format: ExportFormat, out: string, modelType: string): string {
  if (format !== 'tfjs') return '';
  try {
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')) as { modelTopology?: unknown };
    if (json.modelTopology !== undefined && json.modelTopology !== null) return '';
  } catch {
    return '';
  }
  return ` (weights only: a '${modelType}' model exports no graph, so model.json is not for tf.loadGraphModel; a 'gpt' model's is)`;
}

/** A file system error writing the export names --out (a path under a file, a folder that refuses new entries). */
function outError(error: unknown, out: string): unknown {
  if (typeof (error as NodeJS.ErrnoException | undefined)?.code !== 'string') return error;
  return new CheckpointError(`Cannot write the export to --out '${out}' (${path.resolve(out)}): ${fsErrorReason(error)}. Choose an --out in a folder you can write to.`, { cause: error });
}
