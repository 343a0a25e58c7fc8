import * as tf from '@tensorflow/tfjs';
import { GptModel } from './gpt-model';
import { gptParamSpecs } from './gpt-params';
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
  const adapted = new Set(lora.layers.map((name) => `${name}.weight`));
  // The merged model is built from these values, not from a throwaway random init (on a big
  // model that init cost seconds and a whole model's memory). Copied weights share their data.
  const weights = new Map<string, tf.Tensor>();
  try {
    for (const { name } of gptParamSpecs(options)) {
      const source = model.params.get(name);
      if (source === undefined) throw new ModelError(`mergeLora: the LoRA model has no '${name}'`);
      weights.set(name, adapted.has(name) ? lora.merged(name.slice(0, -'.weight'.length), source as tf.Tensor as tf.Tensor2D) : source);
    }
    return new GptModel(options, { weights });
  } finally {
    // The model's variables hold their own references: only the merged sums are ours to drop.
    for (const [name, t] of weights) if (adapted.has(name)) t.dispose();
  }
}
