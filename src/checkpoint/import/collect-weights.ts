import * as tf from '@tensorflow/tfjs';
import type { WeightTarget } from './gpt-source';

/** Targets that keep what a load assigns, so a model can be built from it (see {@link collectWeights}). */
export interface WeightCollector {
  /** One target per expected weight, by name. */
  readonly targets: ReadonlyMap<string, WeightTarget>;
  /** The weights assigned so far, by name; the caller owns them (collected once, then cleared). */
  take(): Map<string, tf.Tensor>;
  /** Disposes whatever was assigned and not taken. */
  dispose(): void;
}

/**
 * Load targets of the given shapes (float32) that keep each assigned tensor instead of copying it
 * into a variable: a handle sharing the value's data (tfjs counts references), kept out of any
 * enclosing `tf.tidy`. A model built from them (`new GptModel(options, { weights })`) then takes
 * that data too, so a load holds each weight once, and no random init is drawn to be overwritten.
 */
export function collectWeights(shapes: ReadonlyMap<string, readonly number[]>): WeightCollector {
  const values = new Map<string, tf.Tensor>();
  const targets = new Map<string, WeightTarget>();
  for (const [name, shape] of shapes) {
    targets.set(name, {
      shape: [...shape],
      dtype: 'float32',
      assign(value: tf.Tensor): void {
        values.get(name)?.dispose();
        values.set(name, tf.keep(value.clone()));
      },
    });
  }
  return {
    targets,
    take(): Map<string, tf.Tensor> {
      const taken = new Map(values);
      values.clear();
      return taken;
    },
    dispose(): void {
      tf.dispose([...values.values()]);
      values.clear();
    },
  };
}
