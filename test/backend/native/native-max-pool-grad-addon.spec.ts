import { strict as assert } from 'assert';
import type { NativeKernelsAddon, NativePoolGeometry } from '../../../src/backend/native';
import { maxPoolGradReference, POOL_SELF_TEST_GEOMETRY as GEOMETRY, poolSelfTest } from '../../../src/backend/native/native-pool-self-test';
import { requireNativeKernels } from './native-fixture';

/** x, dy and dx of `g` in one buffer from byte 4 (misaligned for SIMD), x with ties and NaN, dx pre-filled with 7. */
function layout(g: NativePoolGeometry): { buffer: ArrayBuffer; off: { x: number; dy: number; dx: number }; x: Float32Array; dy: Float32Array; dx: Float32Array } {
  const nx = g.batch * g.inHeight * g.inWidth * g.channels;
  const ndy = g.batch * g.outHeight * g.outWidth * g.channels;
  const buffer = new ArrayBuffer(4 + 4 * (2 * nx + ndy));
  const off = { x: 4, dy: 4 + 4 * nx, dx: 4 + 4 * (nx + ndy) };
  const x = new Float32Array(buffer, off.x, nx);
  x.set(Float32Array.from({ length: nx }, (_, i) => (i % 7 === 0 ? NaN : ((i * 5) % 4) - 2)));
  const dy = new Float32Array(buffer, off.dy, ndy);
  dy.set(Float32Array.from({ length: ndy }, (_, i) => 1 + i / 8));
  const dx = new Float32Array(buffer, off.dx, nx).fill(7);
  return { buffer, off, x, dy, dx };
}

describe('native addon maxPoolGrad', () => {
  const addon = requireNativeKernels();
  const pool = (): NonNullable<NativeKernelsAddon['maxPoolGrad']> => addon().maxPoolGrad!.bind(addon());

  it('gives the JS walk bit for bit at a misaligned offset, with overlapping windows, ties, NaN, and a negative pad', () => {
    for (const g of [GEOMETRY, { ...GEOMETRY, strideWidth: 3, padLeft: 0, outWidth: 2 }, { ...GEOMETRY, padTop: -1, outHeight: 2 }]) {
      const { buffer, off, x, dy, dx } = layout(g);
      pool()(new Uint8Array(buffer), off.x, off.dy, off.dx, g);
      const expected = maxPoolGradReference(g, x, dy);
      assert.deepEqual([...new Uint32Array(buffer, off.dx, dx.length)], [...new Uint32Array(expected.buffer)], JSON.stringify(g));
      assert.ok(expected.some((v) => v !== 0), 'some gradient arrives');
    }
  });

  it('is checked by the start-up self-test, which names a call that routes wrongly', () => {
    let seed = 1;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    assert.equal(poolSelfTest(addon(), next), undefined);
    // Writes nothing: dx keeps the NaN the self-test fills it with.
    assert.match(poolSelfTest({ maxPoolGrad: () => undefined } as unknown as NativeKernelsAddon, next) ?? '', /^self-test maxPoolGrad gave NaN at \[0\]/);
    // Routes every window's gradient to its minimum (the JS walk on -x): a wrong dx the self-test must catch.
    const minimum = {
      maxPoolGrad: (heap: Uint8Array, xOff: number, dyOff: number, dxOff: number, g: NativePoolGeometry) => {
        const nx = g.batch * g.inHeight * g.inWidth * g.channels;
        const x = new Float32Array(heap.buffer, xOff, nx).map((v) => -v);
        const dy = new Float32Array(heap.buffer, dyOff, g.batch * g.outHeight * g.outWidth * g.channels);
        new Float32Array(heap.buffer, dxOff, nx).set(maxPoolGradReference(g, x, dy));
      },
    } as unknown as NativeKernelsAddon;
    assert.match(poolSelfTest(minimum, next) ?? '', /^self-test maxPoolGrad gave .* at \[\d+\], expected /);
    assert.equal(poolSelfTest({} as NativeKernelsAddon, next), undefined, 'an addon built before maxPoolGrad');
  });

  it('refuses out-of-heap, misaligned and overlapping operands, zero strides and missing fields, and writes nothing', () => {
    const { buffer, off, dx } = layout(GEOMETRY);
    const heap = new Uint8Array(buffer);
    const refuse = (args: [number, number, number, unknown], message: RegExp): void => {
      assert.throws(() => pool()(heap, args[0], args[1], args[2], args[3] as NativePoolGeometry), message);
      assert.ok(dx.every((v) => v === 7), 'dx untouched');
    };
    refuse([off.x, off.dy, off.dx + 4, GEOMETRY], /maxPoolGrad: an operand lies outside the heap/);
    refuse([off.x, off.dy, off.dx + 2, GEOMETRY], /not 4-byte aligned/);
    refuse([off.x, off.dy, off.x, GEOMETRY], /maxPoolGrad: dx overlaps an input/);
    refuse([off.x, off.dy, off.dy, GEOMETRY], /maxPoolGrad: dx overlaps an input/);
    refuse([off.x, off.dy, off.dx, { ...GEOMETRY, strideWidth: 0 }], /maxPoolGrad: strides and window sizes must be at least 1/);
    refuse([off.x, off.dy, off.dx, { ...GEOMETRY, filterHeight: 0 }], /maxPoolGrad: strides and window sizes must be at least 1/);
    refuse([off.x, off.dy, off.dx, { ...GEOMETRY, channels: undefined }], /maxPoolGrad: geometry needs batch, .* padTop and padLeft as integers/);
    refuse([off.x, off.dy, off.dx, { ...GEOMETRY, padTop: 0.5 }], /maxPoolGrad: geometry needs/);
    refuse([-4, off.dy, off.dx, GEOMETRY], /maxPoolGrad: offsets must be non-negative integers/);
  });
});
