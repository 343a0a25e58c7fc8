import * as tf from '@tensorflow/tfjs';
import { registerWasmKernelOverrides, unregisterWasmKernelOverrides } from '../../../src/backend';
import { resetNativeKernelsStatus, type NativeKernelsAddon } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { randomValues } from '../backend-fixture';

/** An NHWC shape. */
export type Shape4 = [number, number, number, number];

/** A conv's padding as tfjs takes it. */
export type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** One conv geometry of the native conv gradient specs' grids. */
export interface ConvCase {
  /** Input shape. */
  x: Shape4;
  /** Filter shape `[height, width, in, out]`. */
  filter: Shape4;
  /** Strides. */
  strides: number | [number, number];
  /** Padding. */
  pad: Pad;
  /** Dilations (default 1). */
  dilations?: number | [number, number];
}

/** The addon's conv calls (forward and gradients), which the specs swap out. */
export type ConvMethod = 'conv2d' | 'conv2dBackpropFilter' | 'conv2dBackpropInput';

/** One of the addon's conv calls. */
export type ConvCall = NonNullable<NativeKernelsAddon[ConvMethod]>;

/** Floats of the tap group the addon fills at most (8 MiB). */
export const GROUP_FLOATS = 2 ** 21;

/** `[v, v]` for a number, the pair itself otherwise. */
export const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** Re-registers Floe's wasm kernels so a changed addon method (or none) takes effect. */
function reregister(): void {
  resetNativeKernelsStatus();
  unregisterWasmKernelOverrides();
  registerWasmKernelOverrides();
}

/** Runs `fn` with the addon's `method` replaced by `replacement` (none: an older addon), registered as the kernel. */
export async function withAddonConv<M extends ConvMethod, T>(addon: NativeKernelsAddon, method: M, replacement: NativeKernelsAddon[M], fn: () => Promise<T>): Promise<T> {
  const saved = addon[method];
  addon[method] = replacement;
  reregister();
  try {
    return await fn();
  } finally {
    addon[method] = saved;
    reregister();
  }
}

/** The addon's real `method`, counted, with the scratch sizes it reports. */
export function spyConv<M extends ConvMethod>(addon: NativeKernelsAddon, method: M): { call: NonNullable<NativeKernelsAddon[M]>; scratch: number[] } {
  const real = (addon[method] as (...args: unknown[]) => number).bind(addon);
  const scratch: number[] = [];
  const call = (...args: unknown[]): number => {
    const floats = real(...args);
    scratch.push(floats);
    return floats;
  };
  return { scratch, call: call as unknown as NonNullable<NativeKernelsAddon[M]> };
}

/**
 * Losses of 5 SGD steps of a seeded tf.layers CNN on 8 random 12×12×1 images (data from `seed`):
 * a 3×3 conv, a 3×3 stride-2 same conv, with `thirdConv` a 3×3 same conv, then a dense layer.
 */
export async function cnnLosses(options: { seed: number; thirdConv?: boolean }): Promise<number[]> {
  const rng = new Rng(options.seed);
  const xs = randomValues(rng, 8 * 12 * 12);
  const labels = Int32Array.from({ length: 8 }, (_, i) => i % 3);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ...(options.thirdConv === true ? [tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })] : []),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor4d(xs, [8, 12, 12, 1]);
  const y = tf.tensor1d(Float32Array.from(labels));
  try {
    const history = await model.fit(x, y, { epochs: 5, batchSize: 8, shuffle: false, verbose: 0 });
    return history.history.loss as number[];
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

/**
 * The geometries both native conv gradient specs run (each adds its own 1×1 cases and the ones
 * that fill its 8 MiB group differently): 3×3 and 5×5, strides 1 and 2, same/valid/numeric/explicit
 * padding, dilation (alone and with stride 2), batch 1 and more, odd sizes, one input channel (a
 * first layer), output channels across the 32-wide GEMM tile, a filter larger than the input.
 */
export const SHARED_CONV_CASES: Record<string, ConvCase> = {
  '3x3, stride 1, same, batch 3, odd sizes': { x: [3, 7, 9, 6], filter: [3, 3, 6, 10], strides: 1, pad: 'same' },
  '3x3, stride 2, valid': { x: [2, 9, 7, 3], filter: [3, 3, 3, 8], strides: 2, pad: 'valid' },
  '3x3, stride 2, same, even input': { x: [2, 8, 10, 4], filter: [3, 3, 4, 5], strides: 2, pad: 'same' },
  '3x3, one input channel, batch 4 (first layer)': { x: [4, 28, 28, 1], filter: [3, 3, 1, 32], strides: 1, pad: 'valid' },
  '5x5, stride 1, same': { x: [2, 9, 11, 3], filter: [5, 5, 3, 7], strides: 1, pad: 'same' },
  '5x5, stride 2, valid, 33 output channels, batch 1': { x: [1, 13, 12, 2], filter: [5, 5, 2, 33], strides: 2, pad: 'valid' },
  '5x5, numeric pad 2': { x: [2, 8, 7, 3], filter: [5, 5, 3, 4], strides: 1, pad: 2 },
  'explicit padding, 3x2 filter, strides [2, 1]': {
    x: [2, 5, 6, 2],
    filter: [3, 2, 2, 3],
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
  },
  'conv1d shape (height 1)': { x: [4, 1, 11, 3], filter: [1, 3, 3, 4], strides: 1, pad: 'valid' },
  'dilation 2, same': { x: [2, 9, 8, 2], filter: [3, 2, 2, 3], strides: 1, pad: 'same', dilations: 2 },
  'dilation [2, 3] with stride 2, valid': { x: [2, 11, 13, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid', dilations: [2, 3] },
  'filter larger than the input, same': { x: [1, 2, 3, 3], filter: [5, 5, 3, 2], strides: 1, pad: 'same' },
};
