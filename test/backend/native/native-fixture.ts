import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { activeNativeAddon, nativeKernelsStatus, type NativeKernelsAddon } from '../../../src/backend/native';
import { crossEntropyLoss, GptModel, type GptOptions } from '../../../src/model';
import { Rng } from '../../../src/random';
import { useJsKernels } from '../backend-fixture';

/**
 * Skips the suite, with a visible line saying why, when the native kernels are not active (addon
 * not built, CPU without AVX2/AVX-512, FLOE_NATIVE=0). Returns a getter for the addon.
 */
export function requireNativeKernels(): () => NativeKernelsAddon {
  let addon: NativeKernelsAddon | undefined;
  before(function () {
    const status = nativeKernelsStatus();
    addon = activeNativeAddon();
    if (addon === undefined) {
      console.log(`      [skipped: native kernels inactive: ${status.reason ?? 'unknown'}]`);
      this.skip();
    }
  });
  return () => addon!;
}

/** Runs `fn` with Floe's JS wasm kernels instead of the native ones, then puts native back. */
export async function withoutNative<T>(fn: () => Promise<T>): Promise<T> {
  const restore = useJsKernels();
  try {
    return await fn();
  } finally {
    restore();
  }
}

/** What {@link trainGptLosses} trains: a tiny GPT on fixed rows. */
export interface TinyGptRun {
  /** Model options over vocab 31, length 24, 2 layers, 2 heads, dim 32, MLP 64. */
  options?: Partial<GptOptions>;
  /** Input ids `[B, T]`. */
  inputs: number[][];
  /** Labels `[B, T]` (default: the inputs). */
  labels?: number[][];
  /** Loss weights `[B, T]` (default: all 1). */
  weights?: number[][];
  /** Adam steps. */
  steps: number;
}

/** Trains a tiny GPT for a few tfjs Adam steps on the current backend; returns the losses. */
export async function trainGptLosses(run: TinyGptRun): Promise<number[]> {
  const model = new GptModel({ vocabSize: 31, maxLength: 24, layers: 2, heads: 2, dim: 32, ffnDim: 64, ...run.options }, new Rng(5));
  const optimizer = tf.train.adam(3e-3);
  const labels = run.labels ?? run.inputs;
  const weights = run.weights ?? run.inputs.map((r) => r.map(() => 1));
  const losses: number[] = [];
  try {
    const vars = [...model.params.values()];
    for (let s = 0; s < run.steps; s++) {
      const loss = tf.tidy(() => {
        const ids = tf.tensor2d(run.inputs, undefined, 'int32');
        const l = tf.tensor2d(labels, undefined, 'int32');
        const w = tf.tensor2d(weights) as tf.Tensor2D;
        return optimizer.minimize(() => crossEntropyLoss(model.forward(ids), l, w), true, vars)!;
      });
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return losses;
}

/** `count` rows of `length` ids below `vocab` from a seeded stream. */
export function randomRows(count: number, length: number, vocab: number, seed = 9): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Array.from({ length }, () => rng.int(vocab)));
}

/** Asserts that `f` (run in a tidy on the current backend) ran every kernel of `ran` and none of `notRan`. */
export async function expectKernels(f: () => tf.TensorContainer, ran: readonly string[], notRan: readonly string[]): Promise<void> {
  const { kernelNames } = await tf.profile(() => tf.tidy(f));
  for (const name of ran) assert.ok(kernelNames.includes(name), `${name} did not run: ${kernelNames.join(', ')}`);
  for (const name of notRan) assert.ok(!kernelNames.includes(name), `${name} ran: ${kernelNames.join(', ')}`);
}
