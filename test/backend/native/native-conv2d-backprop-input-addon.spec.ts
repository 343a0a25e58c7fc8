import { strict as assert } from 'assert';
import type { NativeConvGeometry, NativeKernelsAddon } from '../../../src/backend/native';
import { CONV_SELF_TEST_GEOMETRY as GEOMETRY, convInputGradReference, convSelfTest } from '../../../src/backend/native/native-conv-self-test';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { requireNativeKernels } from './native-fixture';

/** dy, w and dx back to back from byte `shift` of a fresh buffer; dx filled with a marker value. */
function layout(shift: number, g: NativeConvGeometry = GEOMETRY) {
  const nx = g.batchSize * g.inHeight * g.inWidth * g.inChannels;
  const ndy = g.batchSize * g.outHeight * g.outWidth * g.outChannels;
  const nw = g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
  const buffer = new ArrayBuffer(shift + 4 * (nx + ndy + nw));
  const off = { dy: shift, w: shift + 4 * ndy, dx: shift + 4 * (ndy + nw) };
  const rng = new Rng(5);
  const dy = new Float32Array(buffer, off.dy, ndy);
  const w = new Float32Array(buffer, off.w, nw);
  for (const values of [dy, w]) for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  const dx = new Float32Array(buffer, off.dx, nx).fill(7);
  return { buffer, off, dy, w, dx };
}

describe('native conv2dBackpropInput addon', () => {
  const addon = requireNativeKernels();
  const conv = (): NonNullable<NativeKernelsAddon['conv2dBackpropInput']> => addon().conv2dBackpropInput!.bind(addon());

  it('matches a float64 loop with strides, dilations and padding, at a 4-byte-misaligned offset, on both micro-kernels', () => {
    const detected = addon().info().detectedIsa;
    // The second geometry is the 1×1 stride-1 filter written straight into dx by one GEMM.
    const pointwise: NativeConvGeometry = { ...GEOMETRY, outHeight: 5, outWidth: 6, filterHeight: 1, filterWidth: 1, strideHeight: 1, dilationWidth: 1, padTop: 0, padLeft: 0 };
    try {
      for (const isa of ['detected', 'avx2'] as const) {
        if (isa === 'avx2' && !addon().setIsa('avx2')) continue;
        for (const g of [GEOMETRY, pointwise]) {
          for (const shift of [0, 4]) {
            const { buffer, off, dy, w, dx } = layout(shift, g);
            const floats = conv()(new Uint8Array(buffer), off.dy, off.w, off.dx, g);
            if (g === GEOMETRY) assert.ok(floats > 0, 'scratch floats');
            assertClose(dx, convInputGradReference(dy, w, g), 1e-5, `${isa}, ${g.filterHeight}x${g.filterWidth}, shift ${shift}`);
          }
        }
      }
    } finally {
      addon().setIsa(detected);
    }
  });

  it('refuses out-of-heap and overlapping operands, zero strides and missing fields, and writes nothing', () => {
    const { buffer, off, dx } = layout(0);
    const heap = new Uint8Array(buffer);
    const refuse = (args: [number, number, number, unknown], message: RegExp): void => {
      assert.throws(() => conv()(heap, args[0], args[1], args[2], args[3] as NativeConvGeometry), message);
      assert.ok(dx.every((v) => v === 7), 'dx untouched');
    };
    refuse([off.dy, off.w, off.dx + 4, GEOMETRY], /conv2dBackpropInput: an operand lies outside the heap/);
    refuse([off.dy, off.w, off.dx + 2, GEOMETRY], /not 4-byte aligned/);
    refuse([off.dy, off.w, off.w, GEOMETRY], /conv2dBackpropInput: dx overlaps an input/);
    refuse([off.dy, off.w, off.dy, GEOMETRY], /conv2dBackpropInput: dx overlaps an input/);
    refuse([off.dy, off.w, off.dx, { ...GEOMETRY, dilationHeight: 0 }], /conv2dBackpropInput: strides and dilations must be at least 1/);
    refuse([off.dy, off.w, off.dx, { ...GEOMETRY, padTop: undefined }], /conv2dBackpropInput: geometry needs .*padLeft as non-negative integers/);
    refuse([off.dy, off.w, off.dx, { ...GEOMETRY, outChannels: -1 }], /geometry needs/);
    refuse([off.dy, -4, off.dx, GEOMETRY], /conv2dBackpropInput: offsets must be non-negative integers/);
  });

  it('is checked by the start-up self-test, which names a conv call that computes wrongly', () => {
    let seed = 1;
    const next = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647) - 0.5;
    assert.equal(convSelfTest(addon(), addon().info().isa, next), undefined);
    const real = addon();
    const broken = {
      conv2dBackpropFilter: real.conv2dBackpropFilter!.bind(real),
      // Drops the last tap row of the filter: a wrong dx the self-test must catch.
      conv2dBackpropInput: (heap: Uint8Array, dyOff: number, wOff: number, dxOff: number, g: NativeConvGeometry) => real.conv2dBackpropInput!(heap, dyOff, wOff, dxOff, { ...g, filterHeight: g.filterHeight - 1 }),
    } as unknown as NativeKernelsAddon;
    assert.match(convSelfTest(broken, 'avx2', next) ?? '', /^self-test conv2dBackpropInput gave .* at \[\d+\], expected /);
    const lazy = { conv2dBackpropInput: () => 0 } as unknown as NativeKernelsAddon;
    assert.match(convSelfTest(lazy, 'avx2', next) ?? '', /^self-test conv2dBackpropInput gave NaN at \[0\]/);
    assert.equal(convSelfTest({} as NativeKernelsAddon, 'avx2', next), undefined, 'an addon without conv calls has nothing to check');
  });
});
