import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors';
import { isLoraParamName } from '../model/lora';
import type { WeightTarget } from './import/gpt-source';

/** Options of {@link assignWeights}. */
export interface AssignWeightsOptions {
  /** Weights `loaded` may lack (a model's new LoRA factors): those keep their values. */
  optional?: ReadonlySet<string>;
}

/**
 * Copies loaded tensors into the model's variables (or other load targets) by name. Every weight must be present with
 * the same shape (but `optional` ones may be absent); extra or missing names are an error naming
 * them and the file.
 */
export function assignWeights(params: ReadonlyMap<string, WeightTarget>, loaded: Map<string, tf.Tensor>, file: string, options: AssignWeightsOptions = {}): void {
  const problems: string[] = [];
  for (const [name, variable] of params) {
    const t = loaded.get(name);
    if (t === undefined && options.optional?.has(name) === true) continue;
    if (t === undefined) problems.push(`missing weight '${name}'`);
    else if (!tf.util.arraysEqual(t.shape, variable.shape)) problems.push(`'${name}' has shape [${t.shape}] but the model expects [${variable.shape}]`);
    // Every float format reads as float32; integers or booleans for a float weight are not weights.
    else if (variable.dtype === 'float32' && t.dtype !== 'float32') problems.push(`'${name}' holds ${t.dtype} values but the model's weight is float32 (a float dtype: F32, F16, BF16 or F64)`);
  }
  for (const name of loaded.keys()) if (!params.has(name)) problems.push(`unexpected weight '${name}' (not in the model)`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const lora = [...loaded.keys()].some((name) => isLoraParamName(name) && !params.has(name))
      ? ". It holds LoRA factors (*.lora_a, *.lora_b) the model lacks: set model.lora as in the run that wrote it, or 'floe export' it first (an export merges them into the weights)"
      : '';
    throw new CheckpointError(`${file} does not match the model: ${shown}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}${lora}`);
  }
  // tidy: cast may return a new tensor, which must not outlive the assignment.
  for (const [name, variable] of params) {
    const t = loaded.get(name);
    if (t !== undefined) tf.tidy(() => variable.assign(tf.cast(t, variable.dtype)));
  }
}
