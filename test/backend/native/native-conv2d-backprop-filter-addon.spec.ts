import { strict as assert } from 'assert';
import type { NativeConvGeometry, NativeKernelsAddon } from '../../../src/backend/native';
import { CONV_SELF_TEST_GEOMETRY as GEOMETRY, convFilterGradReference } from '../../../src/backend/native/native-conv-self-test';
import { Rng } from '../../../src/random';
import { assertClose } from '../../support/tensors';
import { requireNativeKernels } from './native-fixture';

/** x, dy and dw back to back from byte `shift` of a fresh buffer; dw filled with a marker value. */
function layout(shift: number) {
  const g = GEOMETRY;
  const nx = g.batchSize * g.inHeight * g.inWidth * g.inChannels;
  const ndy = g.batchSize * g.outHeight * g.outWidth * g.outChannels;
  const ndw = g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
  const buffer = new ArrayBuffer(shift + 4 * (nx + ndy + ndw));
  const off = { x: shift, dy: shift + 4 * nx, dw: shift + 4 * (nx + ndy) };
  const rng = new Rng(4);
  const x = new Float32Array(buffer, off.x, nx);
  const dy = new Float32Array(buffer, off.dy, ndy);
  for (const values of [x, dy]) for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  const dw = new Float32Array(buffer, off.dw, ndw).fill(7);
  return { buffer, off, x, dy, dw };
}

describe('native conv2dBackpropFilter addon', () => {
  const addon = requireNativeKernels();
  const conv = (): NonNullable<NativeKernelsAddon['conv2dBackpropFilter']> => addon().conv2dBackpropFilter!.bind(addon());

  it('matches a float64 loop with strides, dilations and padding, at a 4-byte-misaligned offset, on both micro-kernels', () => {
    const detected = addon().info().detectedIsa;
    try {
      for (const isa of ['detected', 'avx2'] as const) {
        if (isa === 'avx2' && !addon().setIsa('avx2')) continue;
        for (const shift of [0, 4]) {
          const { buffer, off, x, dy, dw } = layout(shift);
          const floats = conv()(new Uint8Array(buffer), off.x, off.dy, off.dw, GEOMETRY);
          assert.ok(floats > 0, 'scratch floats');
          assertClose(dw, convFilterGradReference(x, dy, GEOMETRY), 1e-5, `${isa}, shift ${shift}`);
        }
      }
    } finally {
      addon().setIsa(detected);
    }
  });

  it('refuses out-of-heap and overlapping operands, zero strides and missing fields, and writes nothing', () => {
    const { buffer, off, dw } = layout(0);
    const heap = new Uint8Array(buffer);
    const refuse = (args: [number, number, number, unknown], message: RegExp): void => {
      assert.throws(() => conv()(heap, args[0], args[1], args[2], args[3] as NativeConvGeometry), message);
      assert.ok(dw.every((v) => v === 7), 'dw untouched');
    };
    refuse([off.x, off.dy, off.dw + 4, GEOMETRY], /conv2dBackpropFilter: an operand lies outside the heap/);
    refuse([off.x, off.dy, off.dw + 2, GEOMETRY], /not 4-byte aligned/);
    refuse([off.x, off.dy, off.x, GEOMETRY], /conv2dBackpropFilter: dw overlaps an input/);
    refuse([off.x, off.dy, off.dw, { ...GEOMETRY, strideWidth: 0 }], /conv2dBackpropFilter: strides and dilations must be at least 1/);
    refuse([off.x, off.dy, off.dw, { ...GEOMETRY, padLeft: undefined }], /conv2dBackpropFilter: geometry needs .*padLeft as non-negative integers/);
    refuse([off.x, off.dy, off.dw, { ...GEOMETRY, inChannels: 2.5 }], /geometry needs/);
    refuse([-4, off.dy, off.dw, GEOMETRY], /conv2dBackpropFilter: offsets must be non-negative integers/);
  });
});
