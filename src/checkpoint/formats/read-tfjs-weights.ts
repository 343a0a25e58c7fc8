import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { TfjsFileHandler } from './tfjs-file-handler';

/**
 * Reads every weight of a tfjs model folder into tensors with `tf.io.decodeWeights`.
 * The caller owns the returned tensors.
 */
export async function readTfjsWeights(dir: string): Promise<tf.NamedTensorMap> {
  const artifacts = await new TfjsFileHandler(dir).load();
  try {
    return tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), artifacts.weightSpecs ?? []);
  } catch (err) {
    throw new CheckpointError(`Cannot decode tfjs weights in '${dir}': ${(err as Error).message}`, { cause: err });
  }
}
