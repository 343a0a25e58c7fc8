import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors';

/**
 * Copies loaded tensors into the model's variables by name. Every weight must be present with
 * the same shape; extra or missing names are an error naming them and the file.
 */
export function assignWeights(params: Map<string, tf.Variable>, loaded: Map<string, tf.Tensor>, file: string): void {
  const problems: string[] = [];
  for (const [name, variable] of params) {
    const t = loaded.get(name);
    if (t === undefined) problems.push(`missing weight '${name}'`);
    else if (!tf.util.arraysEqual(t.shape, variable.shape)) problems.push(`'${name}' has shape [${t.shape}] but the model expects [${variable.shape}]`);
    // Every float format reads as float32; integers or booleans for a float weight are not weights.
    else if (variable.dtype === 'float32' && t.dtype !== 'float32') problems.push(`'${name}' holds ${t.dtype} values but the model's weight is float32 (a float dtype: F32, F16, BF16 or F64)`);
  }
  for (const name of loaded.keys()) if (!params.has(name)) problems.push(`unexpected weight '${name}' (not in the model)`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    throw new CheckpointError(`${file} does not match the model: ${shown}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`);
  }
  // tidy: cast may return a new tensor, which must not outlive the assignment.
  for (const [name, variable] of params) tf.tidy(() => variable.assign(tf.cast(loaded.get(name) as tf.Tensor, variable.dtype)));
}
