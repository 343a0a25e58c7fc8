import * as tf from '@tensorflow/tfjs';
import { fixedGrad } from './reference-optimizers';

/** Names, shapes and initial values of the two-variable fixed problem. */
export const FIXTURE = [
  { name: 'layer.weight', shape: [2, 3], init: [0.5, -1.2, 0.8, 1.5, -0.3, 0.9] },
  { name: 'layer.bias', shape: [3], init: [0.1, -0.4, 0.25] },
] as const;

/** Learning rate of step `k` (varies, to check lr is taken per call). */
export const lrAt = (k: number): number => 0.05 * (1 + 0.2 * k);

/** Fresh variables of the fixture, keyed by name (tidy frees the initial tensors). Dispose with `disposeAll`. */
export function makeParams(values?: Map<string, number[]>): Map<string, tf.Variable> {
  return new Map(FIXTURE.map((f) => [f.name, tf.tidy(() => tf.variable(tf.tensor(values?.get(f.name) ?? [...f.init], [...f.shape])))]));
}

/** The fixture's gradients for step `k`. */
export function makeGrads(k: number): Map<string, tf.Tensor> {
  return new Map(FIXTURE.map((f, which) => [f.name, tf.tensor(fixedGrad(k, which, f.init.length), [...f.shape])]));
}

/** Disposes every tensor of a map. */
export function disposeAll(m: Map<string, tf.Tensor>): void {
  for (const t of m.values()) t.dispose();
}

/** Current values of every variable, as plain arrays. */
export function readAll(m: Map<string, tf.Tensor>): Map<string, number[]> {
  return new Map([...m].map(([k, t]) => [k, Array.from(t.dataSync())]));
}

/** A deep copy of a state map through host memory, as a checkpoint would round-trip it. */
export function throughHost(state: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  return new Map([...state].map(([k, t]) => [k, tf.tensor(t.dataSync().slice(), t.shape, t.dtype)]));
}
