/**
 * Conv training on wasm: ms per training step of a tiny CNN (tf.layers, 28×28×1, two 3×3 conv
 * layers, a 2×2 max pool, batch 32) and ms per `FusedConv2D` (bias, relu), `Conv2DBackpropFilter`,
 * `Conv2DBackpropInput` and `MaxPoolGrad` call on a few shapes, with the forward and gradients on
 * the native addon (GEMMs over filter taps; the pool's windows) and on their fallbacks (Floe's JS
 * filter and max-pool kernels, the stock tfjs-wasm forward and input kernels behind the
 * numeric-pad guard). Six setups: all native; native but the forward, or the input gradient, on
 * the stock kernel; native but the filter gradient, or the max-pool gradient, on the JS kernel
 * (what each native kernel alone buys); FLOE_NATIVE=0 (every kernel on its JS/XNNPACK fallback, a
 * machine without a compiler), taking turns step by step. Figures, not assertions.
 *
 *   npm run build && node dist/bench/conv-bench.js [--steps N] [--calls N]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, registerWasmKernelOverrides, unregisterWasmKernelOverrides } from '../src/backend';
import { createConv2DBackpropFilterKernel } from '../src/backend/kernels/conv2d-backprop-filter-kernel';
import { nativeKernelsStatus, resetNativeKernelsStatus } from '../src/backend/native';
import { spread } from './stats';

type Setup = 'native' | 'native, stock forward' | 'native, stock input grad' | 'native, JS filter grad' | 'native, JS max-pool grad' | 'FLOE_NATIVE=0';
type ConvKernel = 'FusedConv2D' | 'Conv2DBackpropFilter' | 'Conv2DBackpropInput';
type Shape4 = [number, number, number, number];

/** Kernel shapes: the two layers of the step model, then wider and strided layers. */
const SHAPES: Array<{ label: string; x: Shape4; filter: Shape4; strides: number; pad: 'same' | 'valid' }> = [
  { label: 'B32 28×28×1 → 32, 3×3 valid', x: [32, 28, 28, 1], filter: [3, 3, 1, 32], strides: 1, pad: 'valid' },
  { label: 'B32 26×26×32 → 64, 3×3 valid', x: [32, 26, 26, 32], filter: [3, 3, 32, 64], strides: 1, pad: 'valid' },
  { label: 'B16 14×14×32 → 64, 3×3 same', x: [16, 14, 14, 32], filter: [3, 3, 32, 64], strides: 1, pad: 'same' },
  { label: 'B16 14×14×32 → 64, 3×3 stride 2 valid', x: [16, 14, 14, 32], filter: [3, 3, 32, 64], strides: 2, pad: 'valid' },
  { label: 'B16 16×16×64 → 128, 3×3 same', x: [16, 16, 16, 64], filter: [3, 3, 64, 128], strides: 1, pad: 'same' },
  { label: 'B8 28×28×16 → 32, 5×5 same', x: [8, 28, 28, 16], filter: [5, 5, 16, 32], strides: 1, pad: 'same' },
  { label: 'B32 14×14×64 → 128, 1×1', x: [32, 14, 14, 64], filter: [1, 1, 64, 128], strides: 1, pad: 'valid' },
];

/** Max-pool shapes: the step model's pool, then the shapes of performance.md's JS kernel figures (overlapping windows last). */
const POOL_SHAPES: Array<{ label: string; x: Shape4; window: number; strides: number; pad: 'same' | 'valid' }> = [
  { label: 'B32 24×24×64, 2×2 stride 2 valid', x: [32, 24, 24, 64], window: 2, strides: 2, pad: 'valid' },
  { label: 'B16 28×28×32, 2×2 stride 2 valid', x: [16, 28, 28, 32], window: 2, strides: 2, pad: 'valid' },
  { label: 'B16 14×14×64, 3×3 stride 2 same', x: [16, 14, 14, 64], window: 3, strides: 2, pad: 'same' },
  { label: 'B16 32×32×3, 3×3 stride 1 same', x: [16, 32, 32, 3], window: 3, strides: 1, pad: 'same' },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}

/** The input gradient's fallback (the stock kernel behind the numeric-pad guard), read once under FLOE_NATIVE=0. */
let stockInputGrad: tf.KernelConfig | undefined;
/** The forward's fallbacks (stock Conv2D and FusedConv2D behind the guard), read once under FLOE_NATIVE=0. */
let stockForward: tf.KernelConfig[] | undefined;
/** Floe's JS MaxPoolGrad (behind the guard), read once under FLOE_NATIVE=0. */
let jsMaxPoolGrad: tf.KernelConfig | undefined;

/** Registers Floe's wasm kernels for `setup` (the native decision is re-read from FLOE_NATIVE). */
function use(setup: Setup): void {
  if (setup === 'FLOE_NATIVE=0') process.env.FLOE_NATIVE = '0';
  else delete process.env.FLOE_NATIVE;
  resetNativeKernelsStatus();
  unregisterWasmKernelOverrides();
  registerWasmKernelOverrides();
  if (setup === 'FLOE_NATIVE=0') {
    stockInputGrad ??= tf.getKernel('Conv2DBackpropInput', 'wasm');
    jsMaxPoolGrad ??= tf.getKernel('MaxPoolGrad', 'wasm');
    stockForward ??= (['Conv2D', 'FusedConv2D'] as const).map((name) => tf.getKernel(name, 'wasm')!);
  }
  if (setup === 'native, stock forward') {
    if (stockForward === undefined) throw new Error('conv-bench: use FLOE_NATIVE=0 once before the stock forward');
    for (const config of stockForward) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }
  if (setup === 'native, JS max-pool grad') {
    if (jsMaxPoolGrad === undefined) throw new Error('conv-bench: use FLOE_NATIVE=0 once before the JS max-pool gradient');
    tf.unregisterKernel('MaxPoolGrad', 'wasm');
    tf.registerKernel(jsMaxPoolGrad);
  }
  if (setup === 'native, JS filter grad') {
    tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
    tf.registerKernel(createConv2DBackpropFilterKernel());
  }
  if (setup === 'native, stock input grad') {
    if (stockInputGrad === undefined) throw new Error('conv-bench: use FLOE_NATIVE=0 once before the stock input gradient');
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel(stockInputGrad);
  }
}

/** The step model: conv 32 (relu) → conv 64 (relu) → max-pool 2 → dense 10. */
function buildModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

/**
 * Median and range of ms per trainOnBatch step for each setup, after two warm-up steps each. The
 * setups take turns step by step (one model each), so a change in the machine's load falls on
 * all of them alike.
 */
async function stepMs(setups: Setup[], steps: number): Promise<string[]> {
  const models = setups.map(() => buildModel());
  const x = tf.randomNormal([32, 28, 28, 1], 0, 1, 'float32', 7);
  const y = tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10));
  const times: number[][] = setups.map(() => []);
  try {
    for (let s = 0; s < steps + 2; s++) {
      for (let i = 0; i < setups.length; i++) {
        use(setups[i]);
        const t0 = performance.now();
        await models[i].trainOnBatch(x, y); // reads the loss back: the step has finished
        if (s >= 2) times[i].push(performance.now() - t0);
      }
    }
  } finally {
    tf.dispose([x, y]);
    for (const model of models) model.dispose();
  }
  return times.map((t) => {
    const { median, min, max } = spread(t);
    return `${median.toFixed(1)} (${min.toFixed(1)}–${max.toFixed(1)})`;
  });
}

/** Median ms per call of a conv kernel (the wasm kernels run synchronously); the forward with bias and relu, as the step model's layers. */
function kernelMs(kernel: ConvKernel, shape: (typeof SHAPES)[number], calls: number): number {
  const info = tf.backend_util.computeConv2DInfo(shape.x, shape.filter, shape.strides, 1, shape.pad);
  const x = tf.randomNormal(shape.x, 0, 1, 'float32', 1);
  const filter = tf.randomNormal(shape.filter, 0, 1, 'float32', 3);
  const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 2);
  const bias = tf.randomNormal([shape.filter[3]], 0, 1, 'float32', 4);
  const common = { strides: shape.strides, pad: shape.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const byKernel = {
    FusedConv2D: { inputs: { x, filter, bias }, attrs: { ...common, dilations: 1, activation: 'relu' } },
    Conv2DBackpropFilter: { inputs: { x, dy }, attrs: { ...common, filterShape: shape.filter } },
    Conv2DBackpropInput: { inputs: { dy, filter }, attrs: { ...common, inputShape: shape.x } },
  };
  const inputs: tf.NamedTensorMap = byKernel[kernel].inputs;
  const attrs = byKernel[kernel].attrs as unknown as tf.NamedAttrMap;
  const times: number[] = [];
  try {
    for (let i = 0; i < calls + 1; i++) {
      const t0 = performance.now();
      const grad = tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor;
      const ms = performance.now() - t0;
      grad.dispose();
      if (i > 0) times.push(ms);
    }
  } finally {
    tf.dispose([x, filter, dy, bias]);
  }
  return spread(times).median;
}

/** One table: ms per `kernel` call on every shape, native vs its fallback (`fallback` setup). */
function kernelTable(kernel: ConvKernel, fallback: Setup, calls: number): void {
  const other = kernel === 'Conv2DBackpropFilter' ? 'JS' : 'stock';
  console.log(`\n${kernel} alone, median ms of ${calls} calls`);
  console.log(`${'shape'.padEnd(40)}${'native'.padStart(9)}${other.padStart(9)}${'speedup'.padStart(9)}`);
  for (const shape of SHAPES) {
    use('native');
    const native = kernelMs(kernel, shape, calls);
    use(fallback);
    const slow = kernelMs(kernel, shape, calls);
    console.log(`${shape.label.padEnd(40)}${native.toFixed(2).padStart(9)}${slow.toFixed(2).padStart(9)}${`${(slow / native).toFixed(1)}x`.padStart(9)}`);
  }
}

/** Median ms per `MaxPoolGrad` call on `shape`. */
function poolMs(shape: (typeof POOL_SHAPES)[number], calls: number): number {
  const info = tf.backend_util.computePool2DInfo(shape.x, shape.window, shape.strides, 1, shape.pad);
  const input = tf.randomNormal(shape.x, 0, 1, 'float32', 1);
  const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 2);
  const attrs = { filterSize: shape.window, strides: shape.strides, pad: shape.pad } as unknown as tf.NamedAttrMap;
  const times: number[] = [];
  try {
    for (let i = 0; i < calls + 1; i++) {
      const t0 = performance.now();
      const grad = tf.engine().runKernel('MaxPoolGrad', { dy, input, output: dy }, attrs) as tf.Tensor;
      const ms = performance.now() - t0;
      grad.dispose();
      if (i > 0) times.push(ms);
    }
  } finally {
    tf.dispose([input, dy]);
  }
  return spread(times).median;
}

/** ms per `MaxPoolGrad` call on every pool shape, native vs Floe's JS kernel. */
function poolTable(calls: number): void {
  console.log(`\nMaxPoolGrad alone, median ms of ${calls} calls`);
  console.log(`${'shape'.padEnd(40)}${'native'.padStart(9)}${'JS'.padStart(9)}${'speedup'.padStart(9)}`);
  for (const shape of POOL_SHAPES) {
    use('native');
    const native = poolMs(shape, calls);
    use('native, JS max-pool grad');
    const js = poolMs(shape, calls);
    console.log(`${shape.label.padEnd(40)}${native.toFixed(2).padStart(9)}${js.toFixed(2).padStart(9)}${`${(js / native).toFixed(1)}x`.padStart(9)}`);
  }
}

async function main(): Promise<void> {
  const steps = arg('--steps', 8);
  const calls = arg('--calls', 7);
  await initBackend({ name: 'wasm' });
  use('FLOE_NATIVE=0');
  use('native');
  const status = nativeKernelsStatus();
  if (!status.kernels.includes('Conv2DBackpropFilter') || !status.kernels.includes('Conv2DBackpropInput')) {
    console.log(`native conv gradients inactive (${status.reason ?? 'addon built before them: node native/kernels/build-native.js'}); nothing to compare`);
    return;
  }
  const nativePool = status.kernels.includes('MaxPoolGrad');
  console.log(`native kernels: ${status.isa}; tiny CNN step (conv 32 → conv 64 → pool → dense 10, 28×28×1, batch 32), ${steps} steps`);
  if (!nativePool) console.log('native MaxPoolGrad inactive (addon built before it: node native/kernels/build-native.js); its setup and table are left out');
  const nativeForward = status.kernels.includes('FusedConv2D');
  if (!nativeForward) console.log('native Conv2D/FusedConv2D inactive (addon built before them: node native/kernels/build-native.js); their setup and table are left out');
  const setups: Setup[] = ['native', ...(nativeForward ? (['native, stock forward'] as const) : []), 'native, stock input grad', 'native, JS filter grad', ...(nativePool ? (['native, JS max-pool grad'] as const) : []), 'FLOE_NATIVE=0'];
  const ms = await stepMs(setups, steps);
  setups.forEach((setup, i) => console.log(`  ${setup.padEnd(25)} ms/step ${ms[i]}`));
  if (nativeForward) kernelTable('FusedConv2D', 'native, stock forward', calls);
  kernelTable('Conv2DBackpropFilter', 'native, JS filter grad', calls);
  kernelTable('Conv2DBackpropInput', 'native, stock input grad', calls);
  if (nativePool) poolTable(calls);
  use('native');
}

void main();
