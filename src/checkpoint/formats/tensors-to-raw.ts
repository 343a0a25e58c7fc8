import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { RawTensor } from './safetensors-dtype';

/** Named tfjs tensors, as a Map or a `NamedTensorMap` record. */
export type TensorMap = ReadonlyMap<string, tf.Tensor> | Readonly<tf.NamedTensorMap>;

/** Entries of a {@link TensorMap}, in insertion order. */
export function tensorEntries(tensors: TensorMap): [string, tf.Tensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as tf.NamedTensorMap);
}

/**
 * Reads tfjs tensors into raw arrays for writing (float32 → F32, int32 → I32, bool → BOOL).
 * All reads are issued at once with async `data()`, so a GPU backend is not stalled per tensor.
 * The tensors are not disposed.
 */
export async function tensorsToRaw(tensors: TensorMap): Promise<Map<string, RawTensor>> {
  const entries = tensorEntries(tensors);
  for (const [name, t] of entries) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
      throw new CheckpointError(`Cannot save tensor '${name}': dtype '${t.dtype}' has no safetensors equivalent (supported: float32, int32, bool).`);
    }
  }
  const values = await Promise.all(entries.map(([, t]) => t.data()));
  const out = new Map<string, RawTensor>();
  entries.forEach(([name, t], i) => {
    const v = values[i];
    if (t.dtype === 'float32') out.set(name, { dtype: 'F32', shape: [...t.shape], data: v as Float32Array });
    else if (t.dtype === 'int32') out.set(name, { dtype: 'I32', shape: [...t.shape], data: v as Int32Array });
    else out.set(name, { dtype: 'BOOL', shape: [...t.shape], data: Uint8Array.from(v as Uint8Array, (x) => (x === 0 ? 0 : 1)) });
  });
  return out;
}
