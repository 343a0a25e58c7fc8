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

/** The addon's conv gradient calls, which the specs swap out. */
export type ConvMethod = 'conv2dBackpropFilter' | 'conv2dBackpropInput';

/** One of the addon's conv gradient calls. */
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
export async function withAddonConv<T>(addon: NativeKernelsAddon, method: ConvMethod, replacement: ConvCall | undefined, fn: () => Promise<T>): Promise<T> {
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
export function spyConv(addon: NativeKernelsAddon, method: ConvMethod): { call: ConvCall; scratch: number[] } {
  const real = addon[method]!.bind(addon);
  const scratch: number[] = [];
  return {
    scratch,
    call: (...args) => {
      const floats = real(...args);
      scratch.push(floats);
      return floats;
    },
  };
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
