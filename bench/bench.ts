/**
 * `npm run bench`: Floe's training step against a hand-written tfjs loop, per backend.
 * See `--help` and docs/performance.md.
 */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsStatus } from '../src/backend/native';
import type { LmBatch } from '../src/data/lm-batch';
import { BenchArgsError, parseBenchArgs, stepsFor, USAGE, type BenchArgs, type BenchBackend } from './bench-args';
import { flopsPerToken } from './bench-config';
import { benchDataParallel, formatDataParallelReport } from './data-parallel-bench';
import { formatReport, type BackendReport, type BenchReport } from './bench-report';
import { withFloeTrainer } from './floe-trainer';
import { HandWrittenLoop } from './hand-written-loop';
import { runInterleaved } from './interleaved-run';
import { SyntheticBatches } from './synthetic-batch';

async function benchBackend(args: BenchArgs, backend: BenchBackend, log: (line: string) => void): Promise<BackendReport> {
  const c = args.config;
  const { warmup, timed } = stepsFor(args, backend);
  let report: BackendReport | undefined;
  await withFloeTrainer({
    config: c,
    backend,
    seed: args.seed,
    use: async (trainer) => {
      const hand = new HandWrittenLoop(
        { vocabSize: c.vocabSize, maxLength: c.seqLength, layers: c.layers, heads: c.heads, dim: c.dim, ffnDim: c.ffnDim },
        args.seed,
      );
      try {
        let lastShown = 0;
        const result = await runInterleaved({
          loops: [
            { name: 'hand-written', step: (batch: LmBatch) => hand.step(batch) },
            { name: 'floe', step: (batch: LmBatch) => trainer.step(batch) },
          ],
          batches: new SyntheticBatches(c, args.seed),
          config: c,
          flopsPerStep: flopsPerToken(c) * c.batchSize * c.seqLength,
          warmupSteps: warmup,
          timedSteps: timed,
          onProgress: (done, total) => {
            const now = performance.now();
            if (now - lastShown > 5000 || done === total) {
              lastShown = now;
              log(`  ${backend}: step ${done}/${total}${done <= warmup ? ' (warm-up)' : ''}`);
            }
          },
        });
        const [handResult, floe] = result.loops;
        report = {
          backend,
          kernelOverrides: trainer.backend.kernelOverrides,
          native: backend === 'wasm' ? nativeKernelsStatus() : undefined,
          ...result,
          overheadRatio: floe.msPerStep.median / handResult.msPerStep.median,
          pairedOverheadRatio: result.pairedRatios[1],
          lastLoss: { floe: trainer.lastMetrics.loss ?? NaN, 'hand-written': hand.lastLoss },
          warmupSteps: warmup,
          timedSteps: timed,
        };
      } finally {
        hand.dispose();
      }
    },
  });
  if (report === undefined) throw new Error(`benchmark on ${backend} did not run`);
  return report;
}

async function main(): Promise<void> {
  let args: BenchArgs | undefined;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchArgsError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (args === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const c = args.config;
  const report: BenchReport = {
    config: c,
    flopsPerToken: flopsPerToken(c),
    tokensPerStep: c.batchSize * c.seqLength,
    node: process.version,
    tfjs: tf.version.tfjs,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
    backends: [],
  };
  if (args.dataParallel !== 'only') {
    for (const backend of args.backends) {
      log(`bench: ${backend}, config ${c.name}`);
      report.backends.push(await benchBackend(args, backend, log));
    }
  }
  const dataParallel = args.dataParallel === 'off' ? undefined : await benchDataParallel({ config: c, seed: args.seed, log });
  if (args.json) process.stdout.write(`${JSON.stringify({ ...report, dataParallel }, null, 2)}\n`);
  else {
    if (args.dataParallel !== 'only') process.stdout.write(`${formatReport(report)}\n`);
    if (dataParallel !== undefined) process.stdout.write(`\n${formatDataParallelReport(dataParallel)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
