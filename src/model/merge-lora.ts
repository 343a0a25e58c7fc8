import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { GptModel } from './gpt-model';
import { ModelError } from './model-error';

/**
 * A plain GPT (no `lora` option, no LoRA parameters) computing what `model` computes: each adapted
 * dense weight becomes `W + (alpha / rank) · A · B` in its stored `[in, out]` layout, every other
 * weight is copied. A new model the caller disposes; `model` itself is returned when it has no LoRA.
 */
export function mergeLora(model: GptModel): GptModel {
  const lora = model.lora;
  if (lora === undefined) return model;
  const { lora: _adapters, ...options } = model.options;
  // Every weight is overwritten below: the seed only fills values nobody reads.
  const merged = new GptModel(options, new Rng(0));
  try {
    const adapted = new Set(lora.layers.map((name) => `${name}.weight`));
    for (const [name, target] of merged.params) {
      const source = model.params.get(name);
      if (source === undefined) throw new ModelError(`mergeLora: the LoRA model has no '${name}'`);
      tf.tidy(() => target.assign(adapted.has(name) ? lora.merged(name.slice(0, -'.weight'.length), source as tf.Tensor as tf.Tensor2D) : source));
    }
  } catch (error) {
    merged.dispose();
    throw error;
  }
  return merged;
}
