/**
 * Micro-benchmark: GFLOP/s of the stock tfjs wasm matmul kernels vs Floe's overrides.
 * Shapes are those of the PERF.md reference model (batch 16, seq 128, d_model 128, 4 heads).
 *
 *   npx ts-node --transpile-only bench/matmul-bench.ts
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, registerWasmKernelOverrides, unregisterWasmKernelOverrides } from '../src/backend';

interface Shape {
  label: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  bias?: number;
}

const SHAPES: Shape[] = [
  { label: 'dense fwd   [2048,128]x[128,512]', a: [2048, 128], b: [128, 512], transposeA: false, transposeB: false },
  { label: 'dense dX    [2048,512]x[128,512]^T', a: [2048, 512], b: [128, 512], transposeA: false, transposeB: true },
  { label: 'dense dW    [2048,128]^Tx[2048,512]', a: [2048, 128], b: [2048, 512], transposeA: true, transposeB: false },
  { label: 'attn scores [64,128,32]x[64,128,32]^T', a: [64, 128, 32], b: [64, 128, 32], transposeA: false, transposeB: true },
  { label: 'attn values [64,128,128]x[64,128,32]', a: [64, 128, 128], b: [64, 128, 32], transposeA: false, transposeB: false },
  { label: 'fused+bias  [2048,128]x[512,128]^T', a: [2048, 128], b: [512, 128], transposeA: false, transposeB: true, bias: 512 },
];

function flops(s: Shape): number {
  const m = s.transposeA ? s.a[s.a.length - 1] : s.a[s.a.length - 2];
  const k = s.transposeA ? s.a[s.a.length - 2] : s.a[s.a.length - 1];
  const n = s.transposeB ? s.b[s.b.length - 2] : s.b[s.b.length - 1];
  const batch = tf.util.sizeFromShape(s.a.slice(0, -2));
  return 2 * batch * m * k * n;
}

/**
 * Median seconds per call of `fn`. The wasm kernels run synchronously, so the work is done when
 * the op returns; reading the result back would time a copy of the output too (for the attention
 * shapes, 4 MB out of the heap: more than the product itself).
 */
function timeIt(fn: () => tf.Tensor, minSeconds = 0.5): number {
  tf.dispose(fn()); // warm-up
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 3 || (performance.now() - start) / 1000 < minSeconds) {
    const t0 = performance.now();
    const out = fn();
    samples.push((performance.now() - t0) / 1000);
    out.dispose();
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)];
}

async function main(): Promise<void> {
  await initBackend({ name: 'wasm' });
  console.log('shape'.padEnd(40), 'stock GFLOP/s'.padStart(14), 'Floe GFLOP/s'.padStart(14), 'speedup'.padStart(9));
  for (const s of SHAPES) {
    const a = tf.randomNormal(s.a);
    const b = tf.randomNormal(s.b);
    const bias = s.bias === undefined ? undefined : tf.randomNormal([s.bias]);
    const op = (): tf.Tensor =>
      bias === undefined
        ? tf.matMul(a, b, s.transposeA, s.transposeB)
        : tf.fused.matMul({ a, b, bias, transposeA: s.transposeA, transposeB: s.transposeB, activation: 'relu' });
    unregisterWasmKernelOverrides();
    const stock = timeIt(op);
    registerWasmKernelOverrides();
    const floe = timeIt(op);
    const gf = (sec: number): string => (flops(s) / sec / 1e9).toFixed(2).padStart(14);
    console.log(s.label.padEnd(40), gf(stock), gf(floe), `${(stock / floe).toFixed(1)}x`.padStart(9));
    tf.dispose([a, b, ...(bias === undefined ? [] : [bias])]);
  }
}

void main();
