import { promises as fs } from 'fs';
import * as path from 'path';
import { CheckpointError } from '../../errors';
import type { FloeModel } from '../../model/floe-model';
import { GptModel } from '../../model/gpt-model';
import { mergeLora } from '../../model/merge-lora';
import { MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE } from '../checkpoint-layout';
import { TFJS_MODEL_JSON } from '../formats/tfjs-file-handler';
import { writeSafetensors } from '../formats/write-safetensors';
import { writeTfjsWeights } from '../formats/write-tfjs-weights';
import { writeDirAtomically } from '../io/write-dir-atomically';
import { MANIFEST_FILE_NAME, writeManifest } from '../io/write-manifest';
import { writeModelConfigFile } from '../model-config-file';
import { writeGptGraphModel } from '../tfjs/write-gpt-graph-model';
import type { HfExportTokenizer } from './hf-export-tokenizer';
import { HF_CONFIG_FILE, HF_GENERATION_CONFIG_FILE, writeHfFolder } from './write-hf-folder';

/** Interchange formats Floe exports models to. */
export const EXPORT_FORMATS = ['safetensors', 'tfjs', 'hf'] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** File whose presence marks a finished export folder of each format. */
export const EXPORT_MARKER: Readonly<Record<ExportFormat, string>> = { safetensors: MANIFEST_FILE_NAME, tfjs: TFJS_MODEL_JSON, hf: HF_CONFIG_FILE };

/** Options of {@link exportModel}. */
export interface ExportModelOptions {
  /** Output format. */
  format: ExportFormat;
  /** The model factory's recipe type (`gpt`), recorded in `model-config.json`. */
  modelType: string;
  /** Replace an existing folder (default false: an existing folder is an error). */
  overwrite?: boolean;
  /** Extra string metadata for the safetensors header (e.g. the step). */
  metadata?: Record<string, string>;
  /** `hf`: the run's tokenizer (special ids, files to copy); see `hfExportTokenizer`. Unset: no ids, no tokenizer files. */
  tokenizer?: HfExportTokenizer;
}

/**
 * Writes a model's weights to folder `dir`, atomically. A GPT with LoRA adapters is written merged
 * (`W + (alpha / rank) · A · B`, no LoRA weights, no `lora` option): a plain GPT.
 *
 * - `safetensors`: `model.safetensors` (Floe's dotted names, float32, `[in, out]` linear weights),
 *   `model-config.json` (architecture, when the model exposes it) and `manifest.json` (sha256 of
 *   each file). A recipe can start from it with `model: { type: gpt, from: <dir> }`.
 * - `tfjs`: for a GPT, a tfjs graph model (`model.json` + weight shards) that
 *   `tf.loadGraphModel` loads in a browser: int32 ids `[B, T]` in, logits `[B, T, V]` out. Other
 *   models get a weights-only folder (`tf.io` weights manifest, no topology).
 * - `hf`: for a GPT whose settings map to a HuggingFace architecture (gpt2, llama, qwen2, qwen3, gemma3_text), a folder
 *   transformers' `from_pretrained` (and llama.cpp's converter) loads: `config.json`,
 *   `model.safetensors` (HF names and layouts), `generation_config.json` and the tokenizer files
 *   (`options.tokenizer`). Other models or settings are a CheckpointError naming them.
 */
export async function exportModel(model: FloeModel, dir: string, options: ExportModelOptions): Promise<void> {
  // A LoRA model exports as the plain GPT it computes: adapters merged into their weights.
  if (model instanceof GptModel && model.lora !== undefined) {
    const merged = mergeLora(model);
    try {
      return await exportModel(merged, dir, options);
    } finally {
      merged.dispose();
    }
  }
  const overwrite = options.overwrite === true;
  if (overwrite) await checkReplaceable(dir);
  if (options.format === 'tfjs') {
    if (model instanceof GptModel) await writeGptGraphModel(dir, model, { overwrite });
    else await writeTfjsWeights(dir, model.params, { overwrite });
    return;
  }
  if (options.format === 'hf') {
    if (!(model instanceof GptModel)) throw new CheckpointError(`Cannot export the model as a HuggingFace folder (--format hf): only 'gpt' models have a HuggingFace architecture, this one is '${options.modelType}'. Use --format safetensors or tfjs.`);
    return writeHfFolder(dir, model, { overwrite, tokenizer: options.tokenizer });
  }
  if (options.format !== 'safetensors') {
    throw new CheckpointError(`Unknown export format '${String(options.format)}'. Supported: ${EXPORT_FORMATS.join(', ')}.`);
  }
  await writeDirAtomically(
    dir,
    async (tmp) => {
      await writeSafetensors(path.join(tmp, MODEL_WEIGHTS_FILE), model.params, { metadata: { format: 'floe', ...options.metadata } });
      await writeModelConfigFile(tmp, model, options.modelType);
      await writeManifest(tmp);
    },
    { overwrite },
  );
}

/**
 * `overwrite` replaces an earlier export, never anything else: the target must be missing, empty,
 * or a folder of only the files an export writes, and not the working folder or one above it. A
 * run folder, a training checkpoint, a file or `.` is refused.
 */
async function checkReplaceable(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const refuse = (why: string): never => {
    throw new CheckpointError(`Cannot replace '${dir}' with the export: ${why}. --overwrite replaces only an earlier export; choose another --out.`);
  };
  const stat = await fs.lstat(target).catch(() => undefined);
  if (stat === undefined) return;
  if (!stat.isDirectory()) refuse('it is a file, not a folder');
  const cwd = process.cwd();
  if (cwd === target || cwd.startsWith(`${target}${path.sep}`)) refuse('it is the working folder or holds it');
  const entries = await fs.readdir(target, { withFileTypes: true });
  if (entries.length === 0) return;
  const folders = entries.filter((e) => !e.isFile()).map((e) => `${e.name}/`);
  if (folders.length > 0) refuse(`it holds folders (${folders.slice(0, 3).join(', ')}), which an export never has`);
  const names = entries.map((e) => e.name);
  const foreign = names.filter((n) => !EXPORT_FILES.has(n) && !/^group\d+-shard\d+of\d+\.bin$/.test(n));
  if (foreign.length > 0) refuse(`it holds files an export does not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''})`);
  if (!Object.values(EXPORT_MARKER).some((marker) => names.includes(marker))) refuse(`it has no ${Object.values(EXPORT_MARKER).join(' or ')}`);
}

/** The files an export folder holds (besides tfjs weight shards); the HF ones include the copied tokenizer files. */
const EXPORT_FILES = new Set([
  MANIFEST_FILE_NAME,
  MODEL_WEIGHTS_FILE,
  MODEL_CONFIG_FILE,
  TFJS_MODEL_JSON,
  HF_CONFIG_FILE,
  HF_GENERATION_CONFIG_FILE,
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
]);
