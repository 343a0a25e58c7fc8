import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { ModelError } from './model-error';
import { PredictOptions, SupervisedModel } from './supervised-model';

/** Checkpoint file holding a `layers` model's architecture (Keras-style JSON, no weights). */
export const MODEL_TOPOLOGY_FILE = 'model-topology.json';

/**
 * A tfjs `LayersModel` as a Floe model: its trainable weights appear in `params` under stable
 * names `<layerName>.<weightName>` (`dense_0.kernel`, `dense_0.bias`) — the very `tf.Variable`s
 * the layers use, so Floe's optimizer trains them in place. Non-trainable state (BatchNorm
 * moving statistics) is not in `params` and so not in checkpoints.
 */
export class LayersModelAdapter implements SupervisedModel {
  readonly params = new Map<string, tf.Variable>();

  constructor(
    /** The tfjs model whose variables Floe trains. */
    readonly model: tf.LayersModel,
  ) {
    const inputs = model.inputs.map((i) => i.shape);
    const outputs = model.outputs.map((o) => o.shape);
    if (inputs.length !== 1 || inputs[0].length !== 2 || outputs.length !== 1 || outputs[0].length !== 2) {
      throw new ModelError(
        `a supervised 'layers' model must take one [batch, features] input and give one [batch, outputs] output; this one takes ${JSON.stringify(inputs)} and gives ${JSON.stringify(outputs)}`,
      );
    }
    for (const weight of model.trainableWeights) {
      const name = weight.originalName.split('/').join('.');
      if (this.params.has(name)) throw new ModelError(`two trainable weights of the tfjs model are both named '${name}'; give the layers unique names`);
      this.params.set(name, weight.read() as tf.Variable);
    }
  }

  get inputSize(): number {
    return this.model.inputs[0].shape[1] as number;
  }
  get outputSize(): number {
    return this.model.outputs[0].shape[1] as number;
  }

  predict(x: tf.Tensor2D, options: PredictOptions): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inputSize) {
      throw new ModelError(`the tfjs model expects features [N, ${this.inputSize}], got [${x.shape.join(', ')}]`);
    }
    return this.model.apply(x, { training: options.training }) as tf.Tensor2D;
  }

  /** The architecture, so a checkpoint can rebuild the model without the recipe's layer list or model.json. */
  checkpointFiles(): Record<string, unknown> {
    return { [MODEL_TOPOLOGY_FILE]: this.model.toJSON(null, false) };
  }

  parameterCount(): number {
    return this.model.countParams();
  }

  dispose(): void {
    this.model.dispose();
    this.params.clear();
  }
}

/**
 * Gives every initializer in a Keras-style topology that has no seed one drawn from `rng`, so
 * fresh weights are the same on every run with the same recipe seed (and on every backend).
 */
export function seedInitializers(topology: unknown, rng: Rng): unknown {
  if (Array.isArray(topology)) return topology.map((item) => seedInitializers(item, rng));
  if (typeof topology !== 'object' || topology === null) return topology;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(topology)) out[key] = seedInitializers(value, rng);
  const config = out.config as Record<string, unknown> | undefined;
  if (typeof out.class_name === 'string' && typeof config === 'object' && config !== null && 'seed' in config && config.seed == null) {
    out.config = { ...config, seed: rng.int(2 ** 31) };
  }
  return out;
}

/** Builds a model from a Keras-style topology, its unseeded initializers seeded from `rng`. */
export async function modelFromTopology(topology: unknown, rng: Rng): Promise<tf.LayersModel> {
  const seeded = seedInitializers(topology, rng) as tf.serialization.ConfigDict;
  return tf.models.modelFromJSON({ modelTopology: seeded } as unknown as tf.io.ModelJSON);
}
