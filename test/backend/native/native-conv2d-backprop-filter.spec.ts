import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { createConv2DBackpropFilterKernel } from '../../../src/backend/kernels/conv2d-backprop-filter-kernel';
import { nativeConv2DBackpropFilter } from '../../../src/backend/native/native-conv2d-backprop-filter';
import { nativeKernelsStatus, type NativeKernelsAddon } from '../../../src/backend/native';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { boom, expectStepsLeakNothing, numDataIds, randomValues, runOn, useWasmBackend, type Result } from '../backend-fixture';
import { cnnLosses, GROUP_FLOATS, pair, SHARED_CONV_CASES, spyConv, withAddonConv, type ConvCase, type Shape4 } from './conv-fixture';
import { requireNativeKernels, withoutNative } from './native-fixture';


/**
 * The grid: 1×1 (the tap that reads x itself, and strided), 3×3 and 5×5, strides 1 and 2,
 * same/valid/numeric/explicit padding, dilation (alone and with stride 2), batch 1 and more, odd
 * sizes, one input channel (a first layer), a filter larger than the input (taps wholly in the
 * padding), output channels across the 32-wide GEMM tile. The last three fill the 8 MiB tap group
 * differently: 2 taps per GEMM with a shorter last group; one tap per GEMM; one tap in two chunks
 * of output rows (68 and 22 of 90), added up.
 */
const CASES: Record<string, ConvCase> = {
  '1x1, stride 1, valid, batch 1 (x read in place)': { x: [1, 5, 7, 3], filter: [1, 1, 3, 4], strides: 1, pad: 'valid' },
  '1x1, stride 2, same, batch 2': { x: [2, 7, 6, 5], filter: [1, 1, 5, 3], strides: 2, pad: 'same' },
  ...SHARED_CONV_CASES,
  '3x3, 256 channels: 2 taps per GEMM': { x: [4, 28, 28, 256], filter: [3, 3, 256, 4], strides: 1, pad: 'same' },
  '3x3, 512 channels: 1 tap per GEMM': { x: [4, 32, 32, 512], filter: [3, 3, 512, 3], strides: 1, pad: 'same' },
  '3x3, 1024 channels: 1 tap per GEMM in 2 chunks': { x: [3, 30, 30, 1024], filter: [3, 3, 1024, 2], strides: 1, pad: 'same' },
};

/** Runs the kernel op directly (tfjs's conv2d gradient refuses dilations before it gets there). */
function backpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { dataFormat: 'NHWC', dimRoundingMode: undefined, ...attrs } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Seeded x and dy for a case, and its dy shape. */
function operands(c: ConvCase, seed: number): { x: Float32Array; dy: Float32Array; dyShape: Shape4 } {
  const rng = new Rng(seed);
  const dyShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations ?? 1, c.pad).outShape as Shape4;
  return { x: randomValues(rng, tf.util.sizeFromShape(c.x)), dy: randomValues(rng, tf.util.sizeFromShape(dyShape)), dyShape };
}

/** The case's filter gradient on the current wasm kernels. */
function onWasm(c: ConvCase, seed: number): Promise<Result[]> {
  const { x, dy, dyShape } = operands(c, seed);
  return runOn('wasm', () => backpropFilter(tf.tensor4d(x, c.x), tf.tensor4d(dy, dyShape), { strides: c.strides, pad: c.pad, filterShape: c.filter, dilations: c.dilations ?? 1 }));
}

/**
 * cpu's filter gradient. cpu's kernel ignores dilations, so a dilated filter's gradient is that of
 * the spread-out filter (taps `dilation` apart), read at every `dilation`-th tap.
 */
async function onCpu(c: ConvCase, seed: number): Promise<Float32Array> {
  const { x, dy, dyShape } = operands(c, seed);
  const [dh, dw] = pair(c.dilations ?? 1);
  const spread: Shape4 = [(c.filter[0] - 1) * dh + 1, (c.filter[1] - 1) * dw + 1, c.filter[2], c.filter[3]];
  const [full] = await runOn('cpu', () => {
    const g = backpropFilter(tf.tensor4d(x, c.x), tf.tensor4d(dy, dyShape), { strides: c.strides, pad: c.pad, filterShape: spread });
    return g.stridedSlice([0, 0, 0, 0], spread, [dh, dw, 1, 1]);
  });
  return full.values as Float32Array;
}

describe('native Conv2DBackpropFilter (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('is listed as a native kernel', () => {
    assert.ok(nativeKernelsStatus().kernels.includes('Conv2DBackpropFilter'), nativeKernelsStatus().kernels.join(', '));
  });

  Object.entries(CASES).forEach(([name, c], i) => {
    it(`runs on the addon and matches cpu and the JS kernel: ${name}`, async () => {
      const seed = 70 + i;
      const { call, scratch } = spyConv(addon(), 'conv2dBackpropFilter');
      const [native] = await withAddonConv(addon(), 'conv2dBackpropFilter', call, () => onWasm(c, seed));
      assert.equal(scratch.length, 1, 'addon calls');
      const [js] = await withoutNative(() => onWasm(c, seed));
      const cpu = await onCpu(c, seed);
      assert.deepEqual(native.shape, c.filter);
      const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations ?? 1, c.pad);
      const tol = 2e-5 * Math.sqrt(info.batchSize * info.outHeight * info.outWidth) + 1e-5;
      assertClose(native.values, cpu, tol, `${name} vs cpu`);
      assertClose(native.values, js.values, tol, `${name} vs the JS kernel`);
    });
  });

  it('keeps its gather scratch across calls (the same shape again, or a smaller one, allocates nothing) and bounded for a large layer', async () => {
    const { call, scratch } = spyConv(addon(), 'conv2dBackpropFilter');
    const big = CASES['3x3, stride 1, same, batch 3, odd sizes'];
    const small = CASES['3x3, stride 2, valid'];
    const large = CASES['3x3, 1024 channels: 1 tap per GEMM in 2 chunks'];
    await withAddonConv(addon(), 'conv2dBackpropFilter', call, async () => {
      for (const c of [big, big, small, big, large]) await onWasm(c, 1);
    });
    assert.equal(scratch.length, 5);
    assert.ok(scratch[0] > 0, 'scratch after the first call');
    assert.deepEqual(scratch.slice(0, 4), [scratch[0], scratch[0], scratch[0], scratch[0]], 'scratch floats after each call');
    // One tap of the large layer gathers 3·30·30·1024 = 2.8 M floats; chunks keep the scratch within the group.
    assert.ok(scratch[4] <= GROUP_FLOATS + 1024 * 2, `scratch floats after the large layer: ${scratch[4]}`);
  });

  it('leaks no tensors or data buffers over training steps, and frees its output when the addon throws', async () => {
    const x = tf.randomNormal([2, 9, 8, 3]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    try {
      expectStepsLeakNothing(() => tf.tidy(() => void tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 2, 'same')))(filter)));
      const kernel = nativeConv2DBackpropFilter({ conv2dBackpropFilter: boom } as unknown as NativeKernelsAddon, createConv2DBackpropFilterKernel());
      const dy = tf.zeros([2, 5, 4, 4]);
      try {
        const ids = numDataIds();
        const attrs = { strides: 2, pad: 'same', filterShape: [3, 3, 3, 4], dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
        assert.throws(() => kernel({ inputs: { x, dy }, backend: tf.backend(), attrs }), /boom/);
        assert.equal(numDataIds(), ids, 'data buffers after the addon threw');
      } finally {
        dy.dispose();
      }
    } finally {
      tf.dispose([x, filter]);
    }
  });

  it('refuses NCHW and a dy of the wrong shape as the JS kernel does', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 5, 5, 2]) as tf.Tensor4D;
      assert.throws(() => backpropFilter(x, tf.zeros([1, 4, 4, 3]) as tf.Tensor4D, { strides: 1, pad: 'valid', filterShape: [2, 2, 2, 3], dataFormat: 'NCHW' }), /Conv2DBackpropFilter on wasm: dataFormat 'NCHW' is not supported; allowed: 'NHWC'/);
      assert.throws(() => backpropFilter(x, tf.zeros([1, 3, 3, 3]) as tf.Tensor4D, { strides: 1, pad: 'valid', filterShape: [2, 2, 2, 3] }), /dy has shape \[1, 3, 3, 3\], expected \[1, 4, 4, 3\]/);
    });
  });

  it('falls back to the JS kernel with an addon built before conv2dBackpropFilter', async () => {
    const c = CASES['5x5, stride 1, same'];
    await withAddonConv(addon(), 'conv2dBackpropFilter', undefined, async () => {
      assert.ok(!nativeKernelsStatus().kernels.includes('Conv2DBackpropFilter'), 'not listed as native');
      assert.ok(nativeKernelsStatus().kernels.includes('BatchMatMul'), 'the rest stays native');
      const [fallback] = await onWasm(c, 3);
      assertClose(fallback.values, await onCpu(c, 3), 1e-4, 'JS fallback vs cpu');
    });
  });

  it('trains a tf.layers CNN as the JS kernel does: same losses over 5 SGD steps', async () => {
    const train = (): Promise<number[]> => cnnLosses({ seed: 90 });
    const { call, scratch } = spyConv(addon(), 'conv2dBackpropFilter');
    const native = await withAddonConv(addon(), 'conv2dBackpropFilter', call, train);
    assert.equal(scratch.length, 10, 'addon calls: 2 conv layers x 5 steps');
    const js = await withoutNative(train);
    assert.ok(native[4] < native[0], `loss falls: ${native.join(', ')}`);
    assertClose(native, js, 1e-4, 'losses');
  });
});
