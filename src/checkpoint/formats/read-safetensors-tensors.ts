import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { rawToTensor } from './raw-to-tensor';
import { readSafetensors } from './read-safetensors';

/**
 * Reads a safetensors file straight into tfjs tensors (see {@link rawToTensor} for dtype mapping).
 * The caller owns the returned tensors. If one tensor fails to convert, none are leaked.
 */
export async function readSafetensorsTensors(file: string): Promise<Map<string, tf.Tensor>> {
  const { tensors } = await readSafetensors(file);
  const out = new Map<string, tf.Tensor>();
  try {
    for (const [name, raw] of tensors) out.set(name, rawToTensor(raw, name));
  } catch (err) {
    for (const t of out.values()) t.dispose();
    if (err instanceof CheckpointError) throw new CheckpointError(`Cannot load '${file}': ${err.message}`, { cause: err });
    throw err;
  }
  return out;
}
