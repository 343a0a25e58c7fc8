import * as tf from '@tensorflow/tfjs';
import { atomicWriteFile } from '../io';
import { RawTensorMap, encodeSafetensors } from './encode-safetensors';
import { TensorMap, tensorsToRaw } from './tensors-to-raw';

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** String key/value pairs stored under `__metadata__`. */
  metadata?: Record<string, string>;
}

function isTensorMap(tensors: RawTensorMap | TensorMap): tensors is TensorMap {
  const first: unknown = tensors instanceof Map ? tensors.values().next().value : Object.values(tensors)[0];
  return first instanceof tf.Tensor;
}

/**
 * Writes a safetensors file atomically (temp file + rename), from raw arrays or tfjs tensors
 * (read with async `data()`; not disposed). Tensors are laid out sorted by name.
 */
export async function writeSafetensors(
  file: string,
  tensors: RawTensorMap | TensorMap,
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  const raw = isTensorMap(tensors) ? await tensorsToRaw(tensors) : tensors;
  await atomicWriteFile(file, encodeSafetensors(raw, options.metadata));
}
