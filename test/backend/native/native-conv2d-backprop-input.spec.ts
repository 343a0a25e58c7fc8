import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { createNumericPadGuardKernel } from '../../../src/backend/kernels/numeric-pad-guard';
import { nativeConv2DBackpropInput } from '../../../src/backend/native/native-conv2d-backprop-input';
import { nativeKernelsStatus, type NativeKernelsAddon } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { boom, expectStepsLeakNothing, numDataIds, randomValues, runOn, useWasmBackend, type Result } from '../backend-fixture';
import { cnnLosses, GROUP_FLOATS, pair, SHARED_CONV_CASES, spyConv, withAddonConv, type ConvCase, type Shape4 } from './conv-fixture';
import { requireNativeKernels, withoutNative } from './native-fixture';


/**
 * The grid of the filter gradient's spec: 1×1 (one GEMM straight into dx, and strided), 3×3 and
 * 5×5, strides 1 and 2, same/valid/numeric/explicit padding, dilation (alone and with stride 2),
 * batch 1 and more, one input channel, a filter larger than the input (taps wholly in the
 * padding), output channels across the GEMM tile. The last three fill the 8 MiB product group
 * differently: 5 taps per GEMM, then 4; one tap per GEMM; one tap in two
 * chunks of output rows (68 and 22 of 90).
 */
const CASES: Record<string, ConvCase> = {
  '1x1, stride 1, valid, batch 1 (one GEMM into dx)': { x: [1, 5, 7, 3], filter: [1, 1, 3, 4], strides: 1, pad: 'valid' },
  '1x1, stride 2, same, batch 2 (pixels no tap reads stay 0)': { x: [2, 7, 6, 5], filter: [1, 1, 5, 3], strides: 2, pad: 'same' },
  ...SHARED_CONV_CASES,
  '3x3, numeric pad 1, strides [1, 2] (tfjs sizes the width wrongly; the guard lets it through)': { x: [2, 6, 7, 3], filter: [3, 3, 3, 4], strides: [1, 2], pad: 1 },
  '3x3, 128 channels: 5 taps per GEMM, then 4': { x: [4, 28, 28, 128], filter: [3, 3, 128, 4], strides: 1, pad: 'same' },
  '3x3, 512 channels: 1 tap per GEMM': { x: [4, 32, 32, 512], filter: [3, 3, 512, 3], strides: 1, pad: 'same' },
  '3x3, 1024 channels: 1 tap per GEMM in 2 chunks': { x: [3, 30, 30, 1024], filter: [3, 3, 1024, 2], strides: 1, pad: 'same' },
};

/** The case's true dy shape (a numeric pad as explicit padding: tfjs sizes the width from the filter height). */
function dyShapeOf(c: ConvCase): Shape4 {
  const pad = typeof c.pad === 'number' ? ([[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]] as tf.backend_util.ExplicitPadding) : c.pad;
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations ?? 1, pad).outShape as Shape4;
}

/** Runs the kernel op directly (tfjs's conv2d gradient passes no dilations). */
function backpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { dataFormat: 'NHWC', dimRoundingMode: undefined, ...attrs } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Seeded dy and filter for a case. */
function operands(c: ConvCase, seed: number): { dy: Float32Array; filter: Float32Array; dyShape: Shape4 } {
  const rng = new Rng(seed);
  const dyShape = dyShapeOf(c);
  return { dy: randomValues(rng, tf.util.sizeFromShape(dyShape)), filter: randomValues(rng, tf.util.sizeFromShape(c.filter)), dyShape };
}

/**
 * The case's input gradient on `backend`'s current kernels. `spreadOut` gives a dilated filter as
 * the spread-out filter (taps `dilation` apart, zeros between) without a dilations attr: cpu's and
 * the stock wasm kernel's way, as they ignore dilations.
 */
function onBackend(backend: 'wasm' | 'cpu', c: ConvCase, seed: number, spreadOut: boolean): Promise<Result[]> {
  const { dy, filter, dyShape } = operands(c, seed);
  const [dh, dw] = pair(c.dilations ?? 1);
  return runOn(backend, () => {
    const w = tf.tensor4d(filter, c.filter);
    const attrs = { strides: c.strides, pad: c.pad, inputShape: c.x };
    if (!spreadOut || (dh === 1 && dw === 1)) return backpropInput(tf.tensor4d(dy, dyShape), w, { ...attrs, dilations: c.dilations ?? 1 });
    const spread = spreadFilter(w, dh, dw);
    return backpropInput(tf.tensor4d(dy, dyShape), spread, attrs);
  });
}

/** The filter with `dh − 1` zero rows and `dw − 1` zero columns between its taps. */
function spreadFilter(w: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  const [fh, fw, ci, co] = w.shape;
  const values = w.arraySync();
  const out = tf.buffer([(fh - 1) * dh + 1, (fw - 1) * dw + 1, ci, co]);
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) out.set(values[i][j][a][b], i * dh, j * dw, a, b);
  return out.toTensor() as tf.Tensor4D;
}

describe('native Conv2DBackpropInput (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('is listed as a native kernel', () => {
    assert.ok(nativeKernelsStatus().kernels.includes('Conv2DBackpropInput'), nativeKernelsStatus().kernels.join(', '));
  });

  Object.entries(CASES).forEach(([name, c], i) => {
    it(`runs on the addon and matches cpu and the stock kernel: ${name}`, async () => {
      const seed = 170 + i;
      const { call, scratch } = spyConv(addon(), 'conv2dBackpropInput');
      const [native] = await withAddonConv(addon(), 'conv2dBackpropInput', call, () => onBackend('wasm', c, seed, false));
      assert.equal(scratch.length, 1, 'addon calls');
      const [stock] = await withoutNative(() => onBackend('wasm', c, seed, true));
      const [cpu] = await onBackend('cpu', c, seed, true);
      assert.deepEqual(native.shape, c.x);
      const tol = 2e-5 * Math.sqrt(c.filter[0] * c.filter[1] * c.filter[3]) + 1e-5;
      assertClose(native.values, cpu.values, tol, `${name} vs cpu`);
      assertClose(native.values, stock.values, tol, `${name} vs the stock kernel`);
    });
  });

  it('keeps its product scratch across calls (the same shape again, or a smaller one, allocates nothing) and bounded for a large layer', async () => {
    const { call, scratch } = spyConv(addon(), 'conv2dBackpropInput');
    const big = CASES['3x3, stride 1, same, batch 3, odd sizes'];
    const small = CASES['3x3, stride 2, valid'];
    const large = CASES['3x3, 1024 channels: 1 tap per GEMM in 2 chunks'];
    await withAddonConv(addon(), 'conv2dBackpropInput', call, async () => {
      for (const c of [big, big, small, big, large]) await onBackend('wasm', c, 1, false);
    });
    assert.equal(scratch.length, 5);
    assert.ok(scratch[0] > 0, 'scratch after the first call');
    assert.deepEqual(scratch.slice(0, 4), [scratch[0], scratch[0], scratch[0], scratch[0]], 'scratch floats after each call');
    // One tap of the large layer multiplies out to 3·30·30·1024 = 2.8 M floats; chunks keep the scratch within the group.
    assert.ok(scratch[4] <= GROUP_FLOATS, `scratch floats after the large layer: ${scratch[4]}`);
  });

  it('refuses a numeric pad tfjs sizes wrongly, as the stock kernel behind the guard does, without calling the addon', async () => {
    const { call, scratch } = spyConv(addon(), 'conv2dBackpropInput');
    // 3x1 filter, pad 1: tfjs computes the width from the filter height as 5, it is 7.
    const c: ConvCase = { x: [1, 5, 5, 2], filter: [3, 1, 2, 3], strides: 1, pad: 1 };
    const message = /Conv2DBackpropInput on wasm: numeric pad 1 with a 3x1 filter .*tensorflow\/tfjs#649.*Allowed: pad 'valid' or 'same'/;
    await withAddonConv(addon(), 'conv2dBackpropInput', call, async () => {
      await assert.rejects(onBackend('wasm', c, 2, false), message);
    });
    assert.equal(scratch.length, 0, 'addon calls');
    await withoutNative(() => assert.rejects(onBackend('wasm', c, 2, false), message));
  });

  it('leaks no tensors or data buffers over training steps, and frees its output when the addon throws', async () => {
    const x = tf.randomNormal([2, 9, 8, 3]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    try {
      expectStepsLeakNothing(() => tf.tidy(() => void tf.grad((v: tf.Tensor) => tf.sum(tf.conv2d(v as tf.Tensor4D, filter, 2, 'same')))(x)));
      const kernel = nativeConv2DBackpropInput({ conv2dBackpropInput: boom } as unknown as NativeKernelsAddon, createNumericPadGuardKernel('Conv2DBackpropInput', tf.getKernel('Conv2DBackpropInput', 'wasm')));
      const dy = tf.zeros([2, 5, 4, 4]);
      try {
        const ids = numDataIds();
        const attrs = { strides: 2, pad: 'same', inputShape: [2, 9, 8, 3], dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
        assert.throws(() => kernel({ inputs: { dy, filter }, backend: tf.backend(), attrs }), /boom/);
        assert.equal(numDataIds(), ids, 'data buffers after the addon threw');
      } finally {
        dy.dispose();
      }
    } finally {
      tf.dispose([x, filter]);
    }
  });

  it('refuses a dy that does not fit the input shape (the stock kernel would read past it)', () => {
    tf.tidy(() => {
      const filter = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
      assert.throws(() => backpropInput(tf.zeros([1, 3, 3, 3]) as tf.Tensor4D, filter, { strides: 1, pad: 'valid', inputShape: [1, 5, 5, 2] }), /Conv2DBackpropInput on wasm: dy has shape \[1, 3, 3, 3\], expected \[1, 4, 4, 3\]/);
    });
  });

  it('falls back to the stock kernel with an addon built before conv2dBackpropInput', async () => {
    const c = CASES['5x5, stride 1, same'];
    await withAddonConv(addon(), 'conv2dBackpropInput', undefined, async () => {
      assert.ok(!nativeKernelsStatus().kernels.includes('Conv2DBackpropInput'), 'not listed as native');
      assert.ok(nativeKernelsStatus().kernels.includes('Conv2DBackpropFilter'), 'the rest stays native');
      const [fallback] = await onBackend('wasm', c, 3, false);
      const [cpu] = await onBackend('cpu', c, 3, false);
      assertClose(fallback.values, cpu.values, 1e-4, 'stock fallback vs cpu');
    });
  });

  it('runs tf.conv2dTranspose (this kernel is its forward) as cpu does, on the addon', async () => {
    const rng = new Rng(92);
    const x = randomValues(rng, 2 * 4 * 5 * 6);
    const w = randomValues(rng, 3 * 3 * 3 * 6);
    const transposes = (): tf.Tensor[] => {
      const input = tf.tensor4d(x, [2, 4, 5, 6]);
      const filter = tf.tensor4d(w, [3, 3, 3, 6]);
      return [tf.conv2dTranspose(input, filter, [2, 8, 10, 3], 2, 'same'), tf.conv2dTranspose(input, filter, [2, 9, 11, 3], 2, 'valid'), tf.conv2dTranspose(input, filter, [2, 6, 7, 3], 1, 'valid')];
    };
    const { call, scratch } = spyConv(addon(), 'conv2dBackpropInput');
    const native = await withAddonConv(addon(), 'conv2dBackpropInput', call, () => runOn('wasm', transposes));
    assert.equal(scratch.length, 3, 'addon calls');
    const cpu = await runOn('cpu', transposes);
    native.forEach((r, i) => {
      assert.deepEqual(r.shape, cpu[i].shape);
      assertClose(r.values, cpu[i].values, 1e-4, `transpose ${i}`);
    });
  });

  it('trains a tf.layers CNN as the stock kernel does: same losses over 5 SGD steps', async () => {
    const train = (): Promise<number[]> => cnnLosses({ seed: 91, thirdConv: true });
    const { call, scratch } = spyConv(addon(), 'conv2dBackpropInput');
    const native = await withAddonConv(addon(), 'conv2dBackpropInput', call, train);
    // The first layer's input gradient is never asked for (its input is data, not a weight).
    assert.equal(scratch.length, 10, 'addon calls: 2 conv layers x 5 steps');
    const stock = await withoutNative(train);
    assert.ok(native[4] < native[0], `loss falls: ${native.join(', ')}`);
    assertClose(native, stock, 1e-4, 'losses');
  });
});
