import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError } from '../../errors';
import { isTrainingCheckpoint, loadCheckedWeights, openCheckedCheckpoint } from '../checked-load';
import { MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE } from '../checkpoint-layout';
import { verifyCheckpoint } from '../verify-checkpoint';
import { MANIFEST_FILE_NAME } from '../io/write-manifest';
import { readModelConfigFile } from '../model-config-file';
import { GptSource, LoadSourceWeightsOptions, pickGptArchitecture, WeightTarget } from './gpt-source';

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** A training checkpoint gets a resume's checks of the files it reads; an export its manifest's. */
async function checkFolder(dir: string): Promise<void> {
  if (await isTrainingCheckpoint(dir)) await openCheckedCheckpoint(dir, { tensorFiles: [MODEL_WEIGHTS_FILE] });
  else if (await exists(path.join(dir, MANIFEST_FILE_NAME))) await verifyCheckpoint(dir);
}

/** Options of {@link openFloeGptSource}. */
export interface OpenFloeGptSourceOptions {
  /** The caller has just made a load's checks of the folder (manifest checksums included): they are not made again. */
  checked?: boolean;
}

/**
 * A Floe checkpoint or export folder (`model-config.json` + `model.safetensors`, usually with a
 * manifest) as a {@link GptSource}. A training checkpoint is checked as a resume checks it (manifest,
 * files of one save); an export's manifest, when present, is verified. Weights must be finite and
 * of a float dtype.
 * Only the weights are used: optimizer and trainer state are not (that is resuming, not `from`).
 */
export async function openFloeGptSource(dir: string, options: OpenFloeGptSourceOptions = {}): Promise<GptSource> {
  if (options.checked !== true) await checkFolder(dir);
  const described = await readModelConfigFile(dir);
  const configFile = path.join(dir, MODEL_CONFIG_FILE);
  if (described === undefined) throw new CheckpointError(`Cannot load a GPT from '${dir}': ${MODEL_CONFIG_FILE} is missing.`);
  if (described.type !== 'gpt') throw new CheckpointError(`Cannot load a GPT from '${configFile}': it describes a '${described.type}' model.`);
  return {
    kind: 'floe',
    dir,
    configFile,
    architecture: pickGptArchitecture(described.options),
    fieldNames: {},
    async loadWeights(params: ReadonlyMap<string, WeightTarget>, options: LoadSourceWeightsOptions = {}): Promise<void> {
      await loadCheckedWeights(params, dir, { optional: options.optional });
    },
  };
}
