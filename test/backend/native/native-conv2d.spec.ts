import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { createNumericPadGuardKernel } from '../../../src/backend/kernels/numeric-pad-guard';
import { nativeConv2D } from '../../../src/backend/native/native-conv2d';
import { nativeKernelsStatus, type NativeKernelsAddon } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { boom, expectStepsLeakNothing, numDataIds, randomValues, runOn, useWasmBackend, type Result } from '../backend-fixture';
import { cnnLosses, GROUP_FLOATS, SHARED_CONV_CASES, spyConv, withAddonConv, type ConvCase } from './conv-fixture';
import { requireNativeKernels, withoutNative } from './native-fixture';

/**
 * The shared grid plus the 1×1 cases (the tap that reads x itself, and strided) and one layer
 * whose gathered rows (32·9·256 floats each) exceed the 8 MiB chunk: 64 output rows in 3 GEMMs.
 */
const CASES: Record<string, ConvCase> = {
  '1x1, stride 1, valid, batch 1 (x read in place)': { x: [1, 5, 7, 3], filter: [1, 1, 3, 4], strides: 1, pad: 'valid' },
  '1x1, stride 2, same, batch 2': { x: [2, 7, 6, 5], filter: [1, 1, 5, 3], strides: 2, pad: 'same' },
  ...SHARED_CONV_CASES,
  '3x3, 256 channels: 3 chunks of output rows': { x: [2, 32, 32, 256], filter: [3, 3, 256, 4], strides: 1, pad: 'same' },
};

/** FusedConv2D's epilogue: bias, activation. */
interface Fused {
  bias?: 'channel';
  activation?: string;
}

/** Runs the kernel op directly (tf.conv2d refuses dilations with strides before it gets there). */
function conv(c: ConvCase, x: tf.Tensor4D, filter: tf.Tensor4D, fused?: Fused, bias?: tf.Tensor): tf.Tensor {
  const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations ?? 1, dataFormat: 'NHWC', dimRoundingMode: undefined };
  if (fused === undefined) return tf.engine().runKernel('Conv2D', { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  const inputs: tf.NamedTensorMap = bias === undefined ? { x, filter } : { x, filter, bias };
  return tf.engine().runKernel('FusedConv2D', inputs, { ...attrs, activation: fused.activation ?? 'linear', leakyreluAlpha: 0.2 } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** The case's output on `backend` from seeded x, filter and bias. */
async function run(backend: 'wasm' | 'cpu', c: ConvCase, seed: number, fused?: Fused): Promise<Result> {
  const rng = new Rng(seed);
  const x = randomValues(rng, tf.util.sizeFromShape(c.x));
  const w = randomValues(rng, tf.util.sizeFromShape(c.filter));
  const b = randomValues(rng, c.filter[3]);
  const [out] = await runOn(backend, () => {
    const bias = fused?.bias === 'channel' ? tf.tensor1d(b) : undefined;
    return conv(c, tf.tensor4d(x, c.x), tf.tensor4d(w, c.filter), fused, bias);
  });
  return out;
}

/** Tolerance for a sum of `taps·inC` products of values in [-1, 1]. */
const tolOf = (c: ConvCase): number => 2e-6 * Math.sqrt(c.filter[0] * c.filter[1] * c.filter[2]) * 10 + 1e-5;

describe('native Conv2D and FusedConv2D (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('are listed as native kernels', () => {
    for (const name of ['Conv2D', 'FusedConv2D']) assert.ok(nativeKernelsStatus().kernels.includes(name), nativeKernelsStatus().kernels.join(', '));
  });

  Object.entries(CASES).forEach(([name, c], i) => {
    it(`Conv2D runs on the addon and matches cpu and the stock kernel: ${name}`, async () => {
      const seed = 110 + i;
      const { call, scratch } = spyConv(addon(), 'conv2d');
      const native = await withAddonConv(addon(), 'conv2d', call, () => run('wasm', c, seed));
      assert.equal(scratch.length, 1, 'addon calls');
      const stock = await withoutNative(() => run('wasm', c, seed));
      const cpu = await run('cpu', c, seed);
      assert.deepEqual(native.shape, cpu.shape);
      assertClose(native.values, cpu.values, tolOf(c), `${name} vs cpu`);
      assertClose(native.values, stock.values, tolOf(c), `${name} vs the stock kernel`);
    });
  });

  const FUSED: Record<string, Fused> = {
    'bias, linear': { bias: 'channel' },
    'bias, relu': { bias: 'channel', activation: 'relu' },
    'relu, no bias': { activation: 'relu' },
  };
  const fusedCases = ['3x3, stride 2, same, even input', '5x5, stride 2, valid, 33 output channels, batch 1', '1x1, stride 1, valid, batch 1 (x read in place)', 'dilation 2, same'];
  Object.entries(FUSED).forEach(([epilogue, fused]) => {
    fusedCases.forEach((name, i) => {
      it(`FusedConv2D (${epilogue}) runs on the addon and matches cpu and the stock kernel: ${name}`, async () => {
        const c = CASES[name];
        const { call, scratch } = spyConv(addon(), 'conv2d');
        const native = await withAddonConv(addon(), 'conv2d', call, () => run('wasm', c, 140 + i, fused));
        assert.equal(scratch.length, 1, 'addon calls');
        const stock = await withoutNative(() => run('wasm', c, 140 + i, fused));
        const cpu = await run('cpu', c, 140 + i, fused);
        if (fused.activation === 'relu') assert.ok(native.values.some((v) => v === 0) && native.values.some((v) => v > 0), 'relu clips some outputs');
        assertClose(native.values, cpu.values, tolOf(c), `${name} vs cpu`);
        assertClose(native.values, stock.values, tolOf(c), `${name} vs the stock kernel`);
      });
    });
  });

  it('leaves other activations and prelu weights to the stock kernel', async () => {
    const c = CASES['3x3, stride 2, same, even input'];
    for (const fused of [{ activation: 'elu', bias: 'channel' }, { activation: 'leakyrelu' }, { activation: 'relu6', bias: 'channel' }] as Fused[]) {
      const { call, scratch } = spyConv(addon(), 'conv2d');
      const native = await withAddonConv(addon(), 'conv2d', call, () => run('wasm', c, 7, fused));
      assert.equal(scratch.length, 0, `addon calls for ${JSON.stringify(fused)}`);
      assertClose(native.values, (await run('cpu', c, 7, fused)).values, tolOf(c), JSON.stringify(fused));
    }
    const { call, scratch } = spyConv(addon(), 'conv2d');
    await withAddonConv(addon(), 'conv2d', call, async () => {
      tf.tidy(() => {
        const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D;
        const filter = tf.randomNormal([3, 3, 2, 3]) as tf.Tensor4D;
        const alpha = tf.fill([3], 0.25);
        const got = tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', activation: 'prelu', preluActivationWeights: alpha });
        const want = tf.prelu(tf.conv2d(x, filter, 1, 'same'), alpha);
        assertClose(got.dataSync(), want.dataSync(), 1e-5, 'prelu');
      });
    });
    assert.equal(scratch.length, 1, 'addon calls: the plain conv2d only, not the prelu one');
  });

  it('keeps its gather scratch across calls and bounded for a layer larger than the chunk', async () => {
    const { call, scratch } = spyConv(addon(), 'conv2d');
    const big = CASES['3x3, stride 1, same, batch 3, odd sizes'];
    const small = CASES['3x3, stride 2, valid'];
    const large = CASES['3x3, 256 channels: 3 chunks of output rows'];
    await withAddonConv(addon(), 'conv2d', call, async () => {
      for (const c of [big, big, small, big, large]) await run('wasm', c, 1);
    });
    assert.equal(scratch.length, 5);
    assert.ok(scratch[0] > 0, 'scratch after the first call');
    assert.deepEqual(scratch.slice(0, 4), [scratch[0], scratch[0], scratch[0], scratch[0]], 'scratch floats after each call');
    // All 64 output rows would gather 64·32·9·256 = 4.7 M floats; chunks of 28 rows keep it within 2^21.
    assert.ok(scratch[4] <= GROUP_FLOATS, `scratch floats after the large layer: ${scratch[4]}`);
  });

  it('runs the numeric-pad guard first: a pad tfjs sizes wrongly is refused before the addon is called', async () => {
    const { call, scratch } = spyConv(addon(), 'conv2d');
    await withAddonConv(addon(), 'conv2d', call, async () => {
      tf.tidy(() => {
        const x = tf.zeros([1, 6, 6, 2]) as tf.Tensor4D;
        const filter = tf.zeros([3, 2, 2, 3]) as tf.Tensor4D;
        assert.throws(() => conv({ x: [1, 6, 6, 2], filter: [3, 2, 2, 3], strides: 1, pad: 1 }, x, filter), /numeric-pad guard|Conv2D/);
        assert.throws(() => conv({ x: [1, 6, 6, 2], filter: [3, 2, 2, 3], strides: 1, pad: 1 }, x, filter, { bias: 'channel' }, tf.zeros([3])), /FusedConv2D/);
      });
    });
    assert.equal(scratch.length, 0, 'addon calls');
  });

  it('leaks no tensors or data buffers over training steps, and frees its output when the addon throws', async () => {
    const x = tf.randomNormal([2, 9, 8, 3]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const bias = tf.randomNormal([4]);
    try {
      expectStepsLeakNothing(() =>
        tf.tidy(() => void tf.grads((f: tf.Tensor, b: tf.Tensor) => tf.sum(tf.fused.conv2d({ x, filter: f as tf.Tensor4D, bias: b, strides: 2, pad: 'same', activation: 'relu' })))([filter, bias])),
      );
      const kernel = nativeConv2D({ conv2d: boom } as unknown as NativeKernelsAddon, createNumericPadGuardKernel('Conv2D', tf.getKernel('Conv2D', 'wasm')));
      const ids = numDataIds();
      const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1 } as unknown as tf.NamedAttrMap;
      assert.throws(() => kernel({ inputs: { x, filter }, backend: tf.backend(), attrs }), /boom/);
      assert.equal(numDataIds(), ids, 'data buffers after the addon threw');
    } finally {
      tf.dispose([x, filter, bias]);
    }
  });

  it('falls back to the stock kernel with an addon built before conv2d', async () => {
    const c = CASES['5x5, stride 1, same'];
    await withAddonConv(addon(), 'conv2d', undefined, async () => {
      assert.ok(!nativeKernelsStatus().kernels.includes('Conv2D') && !nativeKernelsStatus().kernels.includes('FusedConv2D'), 'not listed as native');
      assert.ok(nativeKernelsStatus().kernels.includes('Conv2DBackpropFilter'), 'the rest stays native');
      const fallback = await run('wasm', c, 3, { bias: 'channel', activation: 'relu' });
      assertClose(fallback.values, (await run('cpu', c, 3, { bias: 'channel', activation: 'relu' })).values, tolOf(c), 'stock fallback vs cpu');
    });
  });

  it('trains a tf.layers CNN as the stock kernel does: same losses over 5 SGD steps', async () => {
    const train = (): Promise<number[]> => cnnLosses({ seed: 91 });
    const { call, scratch } = spyConv(addon(), 'conv2d');
    const native = await withAddonConv(addon(), 'conv2d', call, train);
    assert.equal(scratch.length, 10, 'addon calls: 2 conv layers x 5 steps');
    const stock = await withoutNative(train);
    assert.ok(native[4] < native[0], `loss falls: ${native.join(', ')}`);
    assertClose(native, stock, 1e-4, 'losses');
  });
});
