import * as fs from 'fs/promises';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { assignWeights } from '../assign-weights';
import { MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE } from '../checkpoint-layout';
import { readSafetensorsTensors } from '../formats/read-safetensors-tensors';
import { verifyManifest } from '../io/verify-manifest';
import { MANIFEST_FILE_NAME } from '../io/write-manifest';
import { readModelConfigFile } from '../model-config-file';
import { GptSource, pickGptArchitecture } from './gpt-source';

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * A Floe checkpoint or export folder (`model-config.json` + `model.safetensors`, usually with a
 * manifest) as a {@link GptSource}. When a manifest is present every checksum is verified first.
 * Only the weights are used: optimizer and trainer state are not (that is resuming, not `from`).
 */
export async function openFloeGptSource(dir: string): Promise<GptSource> {
  if (await exists(path.join(dir, MANIFEST_FILE_NAME))) await verifyManifest(dir);
  const described = await readModelConfigFile(dir);
  const configFile = path.join(dir, MODEL_CONFIG_FILE);
  if (described === undefined) throw new CheckpointError(`Cannot load a GPT from '${dir}': ${MODEL_CONFIG_FILE} is missing.`);
  if (described.type !== 'gpt') throw new CheckpointError(`Cannot load a GPT from '${configFile}': it describes a '${described.type}' model.`);
  const weightsFile = path.join(dir, MODEL_WEIGHTS_FILE);
  return {
    kind: 'floe',
    dir,
    configFile,
    architecture: pickGptArchitecture(described.options),
    fieldNames: {},
    async loadWeights(params: Map<string, tf.Variable>): Promise<void> {
      const weights = await readSafetensorsTensors(weightsFile);
      try {
        assignWeights(params, weights, weightsFile);
      } finally {
        tf.dispose([...weights.values()]);
      }
    },
  };
}
