import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { initBackend, registerWasmKernelOverrides, unregisterWasmKernelOverrides } from '../../src/backend';
import { nativeKernelsStatus, resetNativeKernelsStatus } from '../../src/backend/native';
import { Rng } from '../../src/random';
import { assertClose } from '../support/tensors';

/** Shape and values read back from a tensor. */
export interface Result {
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/**
 * Turns the native kernels off (`FLOE_NATIVE=0`) or back to what the environment says, and
 * re-registers Floe's wasm kernels so the choice takes effect. Returns a function that undoes it.
 */
export function useJsKernels(): () => void {
  const saved = process.env.FLOE_NATIVE;
  const reregister = (): void => {
    resetNativeKernelsStatus();
    unregisterWasmKernelOverrides();
    registerWasmKernelOverrides();
  };
  process.env.FLOE_NATIVE = '0';
  reregister();
  return () => {
    if (saved === undefined) delete process.env.FLOE_NATIVE;
    else process.env.FLOE_NATIVE = saved;
    reregister();
  };
}

/**
 * Starts wasm (with Floe's overrides) for a suite and puts the previous backend back afterwards,
 * so other suites in the same mocha process keep their backend. `kernels: 'js'` runs the suite
 * on Floe's JS kernels even where the native addon is active, so their tests cover them.
 */
export function useWasmBackend(options: { kernels?: 'js' | 'default' } = {}): void {
  let previous: string | undefined;
  let restore: (() => void) | undefined;
  before(async () => {
    previous = tf.getBackend();
    if (options.kernels === 'js') {
      restore = useJsKernels();
      if (nativeKernelsStatus().active) throw new Error('native kernels still active under FLOE_NATIVE=0');
    }
    await initBackend({ name: 'wasm' });
  });
  after(async () => {
    restore?.();
    restore = undefined;
    if (previous) await tf.setBackend(previous);
  });
}

/**
 * Runs `fn` on the given backend (tensors made inside `fn` live there), reads every output and
 * disposes everything. Restores the previously current backend.
 */
export async function runOn(backend: 'wasm' | 'cpu', fn: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const out = tf.tidy(fn);
    const outs = Array.isArray(out) ? out : [out];
    try {
      return await Promise.all(outs.map(async (t) => ({ shape: t.shape, values: (await t.data()) as Result['values'] })));
    } finally {
      tf.dispose(outs);
    }
  } finally {
    await tf.setBackend(previous);
  }
}

/** Same shape and the same 32-bit patterns (NaN, −0 and all), naming the first element that differs. */
export function assertSameBits(actual: Result, expected: Result, label: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  const a = new Uint32Array(actual.values.buffer, actual.values.byteOffset, actual.values.length);
  const e = new Uint32Array(expected.values.buffer, expected.values.byteOffset, expected.values.length);
  const i = a.findIndex((bits, k) => bits !== e[k]);
  assert.equal(i, -1, `${label}: [${i}] is ${actual.values[i]} on wasm, ${expected.values[i]} on cpu`);
}

/** `count` standard-normal floats from a seeded stream. */
export function randomValues(rng: Rng, count: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = rng.normal();
  return values;
}

/** Pool inputs by kind; each exercises a way the stock wasm max-pool kernels went wrong (they start a window's maximum at 1.18e-38). */
export const POOL_INPUT_KINDS = {
  negative: (rng: Rng, n: number) => randomValues(rng, n).map((v) => -0.1 - Math.abs(v)),
  mixed: (rng: Rng, n: number) => randomValues(rng, n),
  // Few distinct values: most windows hold several equal maxima (the tie rules differ by kernel).
  'tied negative': (rng: Rng, n: number) => randomValues(rng, n).map((v) => (v < 0 ? -2 : -1)),
  'tied 0/1': (rng: Rng, n: number) => randomValues(rng, n).map((v) => (v < 0 ? 0 : 1)),
  'mixed with NaN': (rng: Rng, n: number) => randomValues(rng, n).map((v) => (v < -0.8 ? NaN : v)),
  zeros: (_rng: Rng, n: number) => new Float32Array(n),
};

/** The {@link POOL_INPUT_KINDS} named, in that order. */
export function poolInputs(...kinds: (keyof typeof POOL_INPUT_KINDS)[]): Record<string, (rng: Rng, n: number) => Float32Array> {
  return Object.fromEntries(kinds.map((k) => [k, POOL_INPUT_KINDS[k]]));
}

/** Number of data buffers the current backend holds (catches leaks inside kernels too). */
export function numDataIds(): number {
  return tf.engine().backend.numDataIds();
}

/**
 * Each result's shape equals the expected one and its values are within `outputs[i].tol`
 * (absolute); messages name the output (`outputs[i].name`) under `label`.
 */
export function assertResultsClose(actual: Result[], expected: Result[], outputs: ReadonlyArray<{ name: string; tol: number }>, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: number of outputs`);
  actual.forEach((a, i) => {
    assert.deepEqual(a.shape, expected[i].shape, `${label} ${outputs[i].name} shape`);
    assertClose(a.values, expected[i].values, outputs[i].tol, `${label} ${outputs[i].name}`);
  });
}

/**
 * Runs `step` once to warm up, then three more times, and asserts the tensor count and the
 * backend's data buffers did not grow. Returns the data-buffer count, for checks that follow.
 */
export function expectStepsLeakNothing(step: () => void): number {
  step();
  const tensors = tf.memory().numTensors;
  const ids = numDataIds();
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, tensors, 'tensors');
  assert.equal(numDataIds(), ids, 'data buffers');
  return ids;
}

/** A stand-in addon entry point that always throws `boom` (to check kernels free their outputs). */
export function boom(): never {
  throw new Error('boom');
}

/**
 * Trains one step of the tf.layers model `build()` makes (softmax cross-entropy over 3 classes of
 * `labels`) on cpu and on wasm, and asserts the gradients agree within 1e-4, are non-zero, leak
 * nothing, and include a weight `expect` accepts. Keys are position and weight name (layer names
 * carry a per-process counter).
 */
export async function assertLayersGradsMatchCpu(
  build: () => tf.LayersModel,
  features: Float32Array,
  inputShape: number[],
  labels: Int32Array,
  expect: { label: string; accepts: (name: string) => boolean },
): Promise<void> {
  const gradsOn = async (backend: 'cpu' | 'wasm'): Promise<Map<string, Float32Array>> => {
    const previous = tf.getBackend();
    await tf.setBackend(backend);
    const model = build();
    try {
      const before = tf.memory().numTensors;
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), model.predict(tf.tensor(features, inputShape)) as tf.Tensor)),
        vars,
      );
      const read = new Map(model.trainableWeights.map((w, i) => [`${i}:${w.originalName.replace(/\d+\//, '/')}`, grads[vars[i].name].dataSync() as Float32Array]));
      tf.dispose([value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked by a training step`);
      return read;
    } finally {
      model.dispose();
      await tf.setBackend(previous);
    }
  };
  const cpu = await gradsOn('cpu');
  const wasm = await gradsOn('wasm');
  assert.deepEqual([...wasm.keys()].sort(), [...cpu.keys()].sort());
  assert.ok([...cpu.keys()].some(expect.accepts), `${expect.label} among ${[...cpu.keys()].join(', ')}`);
  for (const [name, g] of cpu) {
    assert.ok(g.some((v) => v !== 0), `${name}: non-zero gradient`);
    assertClose(wasm.get(name)!, g, 1e-4, name);
  }
}
