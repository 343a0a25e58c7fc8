import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError } from '../errors';
import type { FloeModel } from '../model/floe-model';
import { MODEL_CONFIG_FILE } from './checkpoint-layout';
import { MODEL_CONFIG_FORMAT, formatProblems } from './file-format';

/** Content of `model-config.json`: the model's factory type and resolved architecture options. */
export interface ModelConfigFile {
  /** Format marker. */
  format: 'floe-model-config';
  /** Format version. */
  version: 1;
  /** The model factory's recipe type, e.g. `gpt`. */
  type: string;
  /** The model's resolved options (for `gpt`: `ResolvedGptOptions`). */
  options: Record<string, unknown>;
}

/**
 * Describes a model for `model-config.json`, when it exposes its resolved `options` (as
 * `GptModel` does); undefined for models that do not.
 */
export function describeModel(model: FloeModel, type: string): ModelConfigFile | undefined {
  const options = (model as { options?: unknown }).options;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return undefined;
  return { format: 'floe-model-config', version: 1, type, options: { ...(options as Record<string, unknown>) } };
}

/** Writes `model-config.json` into `dir` when the model can be described; returns whether it did. */
export async function writeModelConfigFile(dir: string, model: FloeModel, type: string): Promise<boolean> {
  const described = describeModel(model, type);
  if (described === undefined) return false;
  await fs.writeFile(path.join(dir, MODEL_CONFIG_FILE), `${JSON.stringify(described, null, 2)}\n`);
  return true;
}

/**
 * Reads `model-config.json` from `dir`; undefined when the folder has none.
 * @throws CheckpointError naming the file when it is unreadable or malformed.
 */
export async function readModelConfigFile(dir: string): Promise<ModelConfigFile | undefined> {
  const file = path.join(dir, MODEL_CONFIG_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`Cannot read model config '${file}': ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`Model config '${file}' is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const config = (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {}) as Partial<ModelConfigFile>;
  // A later format may mean something else by the same fields: refuse rather than build the wrong model.
  const problems = formatProblems(config, MODEL_CONFIG_FORMAT);
  if (problems.length > 0) throw new CheckpointError(`Invalid model config '${file}': ${problems.join('; ')}.`);
  const ok = typeof config.type === 'string' && typeof config.options === 'object' && config.options !== null;
  if (!ok) throw new CheckpointError(`Invalid model config '${file}': expected { format: "floe-model-config", version, type, options }.`);
  return config as ModelConfigFile;
}
