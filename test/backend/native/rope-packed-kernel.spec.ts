import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { hasKernel, ROPE_PACKED, ropePackedKernelConfigs } from '../../../src/backend/native';
import { applyRopePacked, ropeTables, type RopeTables } from '../../../src/model';
import { Rng } from '../../../src/random';
import { numDataIds, randomValues, runOn, useWasmBackend } from '../backend-fixture';
import { expectKernels, requireNativeKernels } from './native-fixture';

/** qkv [b·t, 3·h·hd] values, an upstream gradient and the RoPE positions ([b, t] or [1, t]). */
function problem(b: number, t: number, h: number, hd: number, perBatch: boolean, seed: number) {
  const rng = new Rng(seed);
  const qkv = randomValues(rng, b * t * 3 * h * hd);
  qkv[2 * h * hd + 1] = new Float32Array(Int32Array.of(0x7fc00001).buffer)[0]; // a value-block NaN payload passes through
  const positions = Int32Array.from({ length: (perBatch ? b : 1) * t }, (_, i) => (perBatch ? (i * 7) % 11 : i % t));
  return { b, t, h, hd, perBatch, qkv, dy: randomValues(rng, b * t * 3 * h * hd), positions };
}

type Problem = ReturnType<typeof problem>;

function rotateAndGrad(p: Problem): tf.Tensor[] {
  const x = tf.tensor2d(p.qkv, [p.b * p.t, 3 * p.h * p.hd]);
  const dy = tf.tensor2d(p.dy, x.shape);
  const tables = (): RopeTables => ropeTables(tf.tensor2d(p.positions, [p.perBatch ? p.b : 1, p.t], 'int32'), p.hd, 10000);
  const tab = tables();
  return [applyRopePacked(x, tab, p.b, p.h), tf.grad((z) => applyRopePacked(z as tf.Tensor2D, tab, p.b, p.h))(x, dy)];
}

const bits = (values: ArrayLike<number>): number[] => Array.from(new Int32Array(Float32Array.from(values).buffer));

describe('FloeRopePacked (wasm)', () => {
  useWasmBackend();
  const addon = requireNativeKernels();

  it('replaces the split, concat and products of the composite, with the same bits forward and backward', async () => {
    assert.ok(hasKernel(ROPE_PACKED));
    const shapes: Array<[number, number, number, number, boolean]> = [
      [1, 1, 1, 2, false],
      [2, 5, 2, 4, true],
      [3, 17, 3, 8, false],
      [2, 33, 4, 32, true],
    ];
    for (const [b, t, h, hd, perBatch] of shapes) {
      const p = problem(b, t, h, hd, perBatch, b * 100 + t);
      await expectKernels(() => rotateAndGrad(p), [ROPE_PACKED], ['SplitV']);
      const fused = await runOn('wasm', () => rotateAndGrad(p));
      tf.unregisterKernel(ROPE_PACKED, 'wasm');
      try {
        const composite = await runOn('wasm', () => rotateAndGrad(p));
        fused.forEach((r, i) => assert.deepEqual(bits(r.values), bits(composite[i].values), `b ${b}, t ${t}, heads ${h}, head dim ${hd}: ${i === 0 ? 'rotated' : 'gradient'}`));
      } finally {
        for (const config of ropePackedKernelConfigs(addon())) tf.registerKernel(config);
      }
    }
  });

  it('checks its ranges against the heap: outside, overlapping and odd head dims throw', () => {
    const heap = new Uint8Array(4096);
    const call = (out: number, headDim = 4): void => addon().ropePacked!(heap, 0, 4 * 400, 4 * 420, out, 2, 3, 1, headDim, 1, false);
    call(4 * 600); // [6, 12] from 0, tables of 12 at 400 and 420, output at 600
    assert.throws(() => call(4 * 1020), /outside the heap/);
    assert.throws(() => call(4 * 8), /overlaps/);
    assert.throws(() => call(4 * 600, 3), /headDim must be even/);
  });

  it('names what it expects, and leaks nothing', () => {
    const x = tf.zeros([6, 12]);
    const cos = tf.zeros([1, 1, 3, 3]);
    try {
      assert.throws(() => tf.engine().runKernel(ROPE_PACKED, { x, cos, sinSigned: cos }, { batch: 2, heads: 1, inverse: false }), /even head dim/);
      const p = problem(2, 4, 2, 4, false, 3);
      const step = (): void => tf.dispose(tf.tidy(() => rotateAndGrad(p)));
      step();
      const tensors = tf.memory().numTensors;
      const ids = numDataIds();
      step();
      assert.equal(tf.memory().numTensors, tensors);
      assert.equal(numDataIds(), ids);
    } finally {
      tf.dispose([x, cos]);
    }
  });
});
