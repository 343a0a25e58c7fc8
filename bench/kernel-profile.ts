/**
 * Per-kernel time of one training step of the bench GPT on wasm: every wasm kernel is wrapped
 * with a timer, so the table shows where a step goes with the kernels this process runs (native
 * or not: FLOE_NATIVE=0 for the JS kernels). `--loop hand` (the default) profiles the
 * hand-written loop of `npm run bench` (plain tfjs AdamW); `--loop floe` profiles Floe's
 * `CausalTrainer.step`, with its fused optimizer and gradient cycle.
 *
 *   npm run build && node dist/bench/kernel-profile.js [--config ref|d512] [--loop hand|floe] [--steps N] [--warmup N]
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { nativeKernelsStatus } from '../src/backend/native';
import type { LmBatch } from '../src/data/lm-batch';
import { BENCH_CONFIGS, flopsPerToken } from './bench-config';
import { withFloeTrainer } from './floe-trainer';
import { HandWrittenLoop } from './hand-written-loop';
import { SyntheticBatches } from './synthetic-batch';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const config = BENCH_CONFIGS.find((c) => c.name === arg('--config', 'ref')) ?? BENCH_CONFIGS[0];
  const steps = Number(arg('--steps', config.name === 'ref' ? '20' : '4'));
  const warmup = Number(arg('--warmup', config.name === 'ref' ? '15' : '3'));
  const loopName = arg('--loop', 'hand');
  if (loopName !== 'hand' && loopName !== 'floe') throw new Error(`--loop must be hand or floe, not '${loopName}'`);
  const times = new Map<string, { ms: number; calls: number }>();
  let timing = false;
  // Wraps the kernels registered now: called once the backend is up (Floe's run registers its
  // native kernels when it starts the backend, so the floe loop wraps from inside the run).
  const wrapKernels = (): void => {
    for (const kernel of tf.getKernelsForBackend('wasm')) {
      const inner = kernel.kernelFunc;
      const kernelFunc: KernelFunc = (args) => {
        if (!timing) return inner(args);
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          const entry = times.get(kernel.kernelName) ?? { ms: 0, calls: 0 };
          entry.ms += performance.now() - t0;
          entry.calls += 1;
          times.set(kernel.kernelName, entry);
        }
      };
      tf.unregisterKernel(kernel.kernelName, 'wasm');
      tf.registerKernel({ ...kernel, kernelFunc } as KernelConfig);
    }
  };
  const batches = new SyntheticBatches(config);
  const profile = async (step: (batch: LmBatch) => Promise<void>): Promise<void> => {
    const run = async (n: number): Promise<number> => {
      const t0 = performance.now();
      for (let s = 0; s < n; s++) {
        const batch = batches.next();
        try {
          await step(batch);
        } finally {
          tf.dispose([batch.inputIds, batch.labels, batch.lossMask]);
        }
      }
      return (performance.now() - t0) / n;
    };
    wrapKernels();
    await run(warmup);
    timing = true;
    const msPerStep = await run(steps);
    timing = false;
    report(msPerStep);
  };
  const report = (msPerStep: number): void => {
    const native = nativeKernelsStatus();
    const tokens = config.batchSize * config.seqLength;
    console.log(`config ${config.name}, loop ${loopName}, native ${native.active ? native.isa : `off (${native.reason})`}, ${steps} steps`);
    console.log(
      `${msPerStep.toFixed(1)} ms/step, ${Math.round((tokens / msPerStep) * 1000)} tokens/s, ${((flopsPerToken(config) * tokens) / msPerStep / 1e6).toFixed(1)} model GFLOP/s`,
    );
    const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const total = rows.reduce((s, [, t]) => s + t.ms, 0) / steps;
    console.log(`kernels ${total.toFixed(1)} ms/step; outside kernels (JS, tape, allocation) ${(msPerStep - total).toFixed(1)} ms/step`);
    for (const [name, t] of rows.slice(0, 24)) {
      console.log(`  ${name.padEnd(26)} ${(t.ms / steps).toFixed(2).padStart(8)} ms/step  ${String(Math.round(t.calls / steps)).padStart(5)} calls`);
    }
  };
  const options = { vocabSize: config.vocabSize, maxLength: config.seqLength, layers: config.layers, heads: config.heads, dim: config.dim, ffnDim: config.ffnDim };
  if (loopName === 'floe') {
    await withFloeTrainer({ config, backend: 'wasm', seed: 1234, use: (trainer) => profile((batch) => trainer.step(batch)) });
    return;
  }
  await initBackend({ name: 'wasm' });
  const loop = new HandWrittenLoop(options, 1234);
  try {
    await profile((batch) => loop.step(batch));
  } finally {
    loop.dispose();
  }
}

void main();
