import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError, orList } from '../../errors';
import { MODEL_CONFIG_FILE } from '../checkpoint-layout';
import { findCheckpoints } from '../find-checkpoints';
import { resolveCheckpointDir } from '../resolve-checkpoint-dir';
import { TFJS_MODEL_JSON } from '../formats/tfjs-file-handler';
import { openFloeGptSource } from './floe-gpt-source';
import { GptSource } from './gpt-source';
import { readHfConfigJson } from './hf-folder';
import { openHfGpt2Source } from './hf-gpt2-source';
import { HF_LLAMA_MODEL_TYPES } from './hf-llama-config';
import { HF_GEMMA3_MODEL_TYPE } from './hf-gemma3-config';
import { openHfGemma3Source, openHfLlamaSource } from './hf-llama-source';

/**
 * The opener of each HuggingFace `model_type` `from` reads. The dispatcher and the messages both
 * read this table, so what a message lists is what is opened.
 */
const HF_OPENERS: ReadonlyMap<string, (dir: string) => Promise<GptSource>> = new Map([
  ['gpt2', openHfGpt2Source],
  ...HF_LLAMA_MODEL_TYPES.map((type) => [type, openHfLlamaSource] as const),
  [HF_GEMMA3_MODEL_TYPE, openHfGemma3Source],
]);

/** HuggingFace `model_type`s `from` reads (GPT-2 folders may leave it out). */
const HF_MODEL_TYPES = [...HF_OPENERS.keys()];

/** What `from` reads, for messages: `a Floe checkpoint or export (...), ..., or a HuggingFace folder ...`. */
const READABLE =
  `a Floe checkpoint or export (${MODEL_CONFIG_FILE} + model.safetensors), a folder of step-N checkpoints or a run folder, ` +
  `or a HuggingFace folder (config.json + model.safetensors or its sharded index) whose config.json model_type is ${orList(HF_MODEL_TYPES, (t) => t)}`;

/** Opens a HuggingFace folder by its config.json's model_type. */
async function openHfSource(dir: string): Promise<GptSource> {
  const { file, json } = await readHfConfigJson(dir);
  const modelType = json.model_type;
  // GPT-2's own config.json predates model_type; one without it is read as GPT-2.
  const open = HF_OPENERS.get(modelType === undefined ? 'gpt2' : String(modelType));
  if (open !== undefined && (modelType === undefined || typeof modelType === 'string')) return open(dir);
  throw new CheckpointError(
    `Cannot import the HuggingFace model in '${dir}': ${file} has model_type ${JSON.stringify(modelType)}; ` +
      `Floe reads model_type ${HF_MODEL_TYPES.join(', ')} (mistral, qwen2 and qwen3 without a sliding window shorter than the context; gemma3_text runs up to its sliding_window tokens).`,
  );
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens what a recipe's `model.from` points at: a Floe checkpoint or export folder
 * (`model-config.json`), a folder of `step-N` checkpoints or a run folder (its newest complete
 * checkpoint), or a HuggingFace folder (`config.json` + safetensors) whose model_type is gpt2,
 * llama, mistral, qwen2, qwen3 or gemma3_text (the keys of `HF_OPENERS`).
 *
 * @throws CheckpointError naming the folder and what was expected.
 */
export async function openGptSource(target: string): Promise<GptSource> {
  const dir = path.resolve(target);
  let isDir: boolean;
  try {
    isDir = (await fs.stat(dir)).isDirectory();
  } catch {
    throw new CheckpointError(`Cannot load a model from '${dir}': it does not exist.`);
  }
  if (!isDir) throw new CheckpointError(`Cannot load a model from '${dir}': it is a file; expected a folder: ${READABLE}.`);
  if (await exists(path.join(dir, MODEL_CONFIG_FILE))) return openFloeGptSource(dir);
  if (await exists(path.join(dir, 'config.json'))) return openHfSource(dir);
  if (await exists(path.join(dir, TFJS_MODEL_JSON))) {
    throw new CheckpointError(
      `Cannot load a model from '${dir}': it is a tfjs export (${TFJS_MODEL_JSON}), made for tf.loadGraphModel in the browser, not for 'from'. ` +
        'Point from at the checkpoint it was exported from, or at a safetensors export (floe export --format safetensors).',
    );
  }
  for (const root of [dir, path.join(dir, 'checkpoints')]) {
    const newest = (await findCheckpoints(root))[0];
    if (newest !== undefined) return openFloeGptSource(newest.dir);
  }
  // A run folder whose floe engine had its own dir: the run's recipe.resolved.yaml names it.
  const resolved = await resolveCheckpointDir(dir).catch(() => undefined);
  if (resolved !== undefined) return openFloeGptSource(resolved);
  const inside = await modelSubfolders(dir);
  throw new CheckpointError(
    `Cannot load a model from '${dir}': expected ${READABLE}.` +
      (inside.length === 0 ? '' : ` It holds model folders: point from at one of ${inside.map((name) => path.join(dir, name)).join(', ')}.`),
  );
}

/** Subfolders (at most 5) that look like a model: a folder of models given where one was meant. */
async function modelSubfolders(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const sub = path.join(dir, entry.name);
    if ((await exists(path.join(sub, MODEL_CONFIG_FILE))) || (await exists(path.join(sub, 'config.json')))) found.push(entry.name);
    if (found.length === 5) break;
  }
  return found;
}
