import { strict as assert } from 'assert';
import type { NativeConvGeometry, NativeKernelsAddon } from '../../../src/backend/native';
import { CONV_SELF_TEST_GEOMETRY as GEOMETRY, convForwardReference, convSelfTest } from '../../../src/backend/native/native-conv-self-test';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { requireNativeKernels } from './native-fixture';

/** x, w, bias and y back to back from byte `shift` of a fresh buffer; y filled with a marker value. */
function layout(shift: number) {
  const g = GEOMETRY;
  const nx = g.batchSize * g.inHeight * g.inWidth * g.inChannels;
  const nw = g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
  const ny = g.batchSize * g.outHeight * g.outWidth * g.outChannels;
  const buffer = new ArrayBuffer(shift + 4 * (nx + nw + g.outChannels + ny));
  const off = { x: shift, w: shift + 4 * nx, bias: shift + 4 * (nx + nw), y: shift + 4 * (nx + nw + g.outChannels) };
  const rng = new Rng(6);
  const x = new Float32Array(buffer, off.x, nx);
  const w = new Float32Array(buffer, off.w, nw);
  const bias = new Float32Array(buffer, off.bias, g.outChannels);
  for (const values of [x, w, bias]) for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  const y = new Float32Array(buffer, off.y, ny).fill(7);
  return { buffer, off, x, w, bias, y };
}

describe('native conv2d addon', () => {
  const addon = requireNativeKernels();
  const conv = (): NonNullable<NativeKernelsAddon['conv2d']> => addon().conv2d!.bind(addon());

  it('matches a float64 loop (plain, + bias, + bias and relu) with strides, dilations and padding, at a misaligned offset, on both micro-kernels', () => {
    const detected = addon().info().detectedIsa;
    try {
      for (const isa of ['detected', 'avx2'] as const) {
        if (isa === 'avx2' && !addon().setIsa('avx2')) continue;
        for (const shift of [0, 4]) {
          for (const [withBias, activation] of [[false, 0], [true, 0], [true, 1]] as const) {
            const { buffer, off, x, w, bias, y } = layout(shift);
            const floats = conv()(new Uint8Array(buffer), off.x, off.w, withBias ? off.bias : -1, off.y, GEOMETRY, activation);
            assert.ok(floats > 0, 'scratch floats');
            const expected = convForwardReference(x, w, GEOMETRY).map((v, i) => {
              const biased = withBias ? v + bias[i % GEOMETRY.outChannels] : v;
              return activation === 1 ? Math.max(biased, 0) : biased;
            });
            if (activation === 1) assert.ok(expected.some((v) => v === 0) && expected.some((v) => v > 0), 'relu clips some outputs');
            assertClose(y, expected, 1e-5, `${isa}, shift ${shift}, bias ${withBias}, activation ${activation}`);
          }
        }
      }
    } finally {
      addon().setIsa(detected);
    }
  });

  it('refuses out-of-heap and overlapping operands, bad activations, zero strides and missing fields, and writes nothing', () => {
    const { buffer, off, y } = layout(0);
    const heap = new Uint8Array(buffer);
    const refuse = (args: [number, number, number, number, unknown, number], message: RegExp): void => {
      assert.throws(() => conv()(heap, args[0], args[1], args[2], args[3], args[4] as NativeConvGeometry, args[5]), message);
      assert.ok(y.every((v) => v === 7), 'y untouched');
    };
    refuse([off.x, off.w, off.bias, off.y + 4, GEOMETRY, 0], /conv2d: an operand lies outside the heap/);
    refuse([off.x, off.w, off.bias, off.y + 2, GEOMETRY, 0], /not 4-byte aligned/);
    refuse([off.x, off.w, off.y, off.y - 4, GEOMETRY, 0], /conv2d: y overlaps an input/);
    refuse([off.x, off.w, -1, off.x, GEOMETRY, 0], /conv2d: y overlaps an input/);
    refuse([off.x, off.w, -1, off.y, GEOMETRY, 3], /conv2d: activation must be 0 \(linear\), 1 \(relu\) or 2 \(relu6\)/);
    refuse([off.x, off.w, -1, off.y, { ...GEOMETRY, dilationHeight: 0 }, 0], /conv2d: strides and dilations must be at least 1/);
    refuse([off.x, off.w, -1, off.y, { ...GEOMETRY, padTop: undefined }, 0], /conv2d: geometry needs .*padLeft as non-negative integers/);
    refuse([off.x, off.w, -2, off.y, GEOMETRY, 0], /conv2d: offsets must be non-negative integers \(bias -1 for none\)/);
  });

  it('is checked by the start-up self-test, which names a forward that computes wrongly', () => {
    let seed = 1;
    const next = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647) - 0.5;
    const real = addon();
    assert.equal(convSelfTest(real, real.info().isa, next), undefined);
    const broken = {
      // Drops the last tap column of the filter: a wrong y the self-test must catch.
      conv2d: (heap: Uint8Array, xOff: number, wOff: number, biasOff: number, yOff: number, g: NativeConvGeometry, act: number) =>
        real.conv2d!(heap, xOff, wOff, biasOff, yOff, { ...g, filterWidth: g.filterWidth - 1 }, act),
    } as unknown as NativeKernelsAddon;
    assert.match(convSelfTest(broken, 'avx2', next) ?? '', /^self-test conv2d gave .* at \[\d+\], expected /);
    const lazy = { conv2d: () => 0 } as unknown as NativeKernelsAddon;
    assert.match(convSelfTest(lazy, 'avx2', next) ?? '', /^self-test conv2d gave NaN at \[0\]/);
  });
});
