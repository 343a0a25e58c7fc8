/**
 * Data-parallel throughput: the same model trained by 1 worker thread and by `workers: auto`
 * (one per usable core), each worker with micro-batches of the config's batch size, so N workers
 * train N× the tokens per step. Reports steady-state tokens/s (after warm-up) and the speedup.
 *
 * `npm run bench -- --data-parallel` runs it from the main benchmark; on its own:
 * `node dist/bench/data-parallel-bench.js [--config ref|d512] [--steps N] [--warmup N] [--json]`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../src';
import { usableCores } from '../src/distributed/distributed-plan';
import { Logger } from '../src/logging/logger';
import { runJob } from '../src/trainer/run-job';
import { BENCH_CONFIGS, BenchConfig, REFERENCE_CONFIG } from './bench-config';

/** One data-parallel measurement. */
export interface DataParallelRun {
  /** `1` or `auto (N)`. */
  label: string;
  workers: number;
  /** Steady-state tokens/s of all workers together. */
  tokensPerSec: number;
  /** Wall-clock seconds of the whole run (start-up included). */
  wallSec: number;
}

/** What {@link benchDataParallel} reports. */
export interface DataParallelReport {
  config: string;
  backend: string;
  cores: number;
  steps: number;
  warmup: number;
  runs: DataParallelRun[];
  /** tokens/s of `workers: auto` over 1 worker. */
  speedup: number;
}

/** Options of {@link benchDataParallel}. */
export interface DataParallelBenchOptions {
  config?: BenchConfig;
  /** Timed optimizer steps (after warm-up); a multiple of `warmup` keeps log windows aligned. */
  steps?: number;
  warmup?: number;
  seed?: number;
  log?: (line: string) => void;
}

function recipe(config: BenchConfig, outputDir: string, workers: number | 'auto', steps: number, logEvery: number, seed: number): Record<string, unknown> {
  // Enough packed rows for every step of every worker without a second epoch (~10 tokens per example).
  const count = Math.ceil((steps * Math.max(2, usableCores()) * config.batchSize * config.seqLength) / 9);
  return {
    type: 'causal',
    seed,
    backend: 'wasm',
    quiet: true,
    progress: 'none',
    report: false,
    tensorboard: false,
    status: false,
    microBatchSize: config.batchSize,
    trainIters: steps,
    logInterval: logEvery,
    evalInterval: 0,
    evalAtEnd: false,
    outputDir,
    tokenizer: { type: 'byte' },
    data: { type: 'causal', sources: [{ type: 'synthetic', task: 'addition', count, maxDigits: 4 }], maxLength: config.seqLength, trainEvalSplit: [1, 0], cache: false, evalGenerations: 0 },
    model: { type: 'gpt', maxLength: config.seqLength, layers: config.layers, heads: config.heads, dim: config.dim, ffnDim: config.ffnDim },
    optimizer: { type: 'adamw', lr: 1e-3 },
    scheduler: { type: 'constant' },
    checkpoint: [],
    distributed: { backend: 'threads', workers },
  };
}

/** Steady-state tokens/s from metrics.jsonl: all tokens over all time of the log windows after the first. */
function steadyTokensPerSec(dir: string): number {
  const records = fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { event: string; elapsed: number; tokensPerSec: number })
    .filter((r) => r.event === 'train');
  let tokens = 0;
  let seconds = 0;
  for (let i = 1; i < records.length; i++) {
    const dt = records[i].elapsed - records[i - 1].elapsed;
    tokens += records[i].tokensPerSec * dt;
    seconds += dt;
  }
  return seconds > 0 ? tokens / seconds : NaN;
}

/** Trains with 1 worker, then with `workers: auto`, and reports both. */
export async function benchDataParallel(options: DataParallelBenchOptions = {}): Promise<DataParallelReport> {
  const config = options.config ?? REFERENCE_CONFIG;
  // The reference steps are short: 2 workers need ~20 steps before both runs are steady (wasm
  // tier-up and V8 compile threads compete with the workers), and 60 timed steps even out the noise.
  const short = config.name === REFERENCE_CONFIG.name;
  const warmup = options.warmup ?? (short ? 20 : 10);
  const steps = options.steps ?? (short ? 60 : 30);
  const log = options.log ?? (() => undefined);
  const cores = usableCores();
  const runs: DataParallelRun[] = [];
  for (const workers of [1, 'auto'] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dp-bench-'));
    try {
      const label = workers === 'auto' ? `auto (${cores})` : '1';
      log(`bench: data parallel, ${label} worker${workers === 1 ? '' : 's'}, config ${config.name}`);
      const start = performance.now();
      await runJob(recipe(config, dir, workers, warmup + steps, Math.max(1, warmup), options.seed ?? 1234), { logger: new Logger({ level: 'error' }) });
      runs.push({ label, workers: workers === 'auto' ? cores : 1, tokensPerSec: steadyTokensPerSec(dir), wallSec: (performance.now() - start) / 1000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { config: config.name, backend: 'wasm', cores, steps, warmup, runs, speedup: runs[1].tokensPerSec / runs[0].tokensPerSec };
}

/** A small table. */
export function formatDataParallelReport(r: DataParallelReport): string {
  const rows = r.runs.map((run) => `  ${run.label.padEnd(10)} ${Math.round(run.tokensPerSec).toLocaleString('en-US').padStart(10)} tok/s   (run ${run.wallSec.toFixed(1)} s)`);
  return [
    `Data parallel (threads), config ${r.config}, ${r.backend}, ${r.cores} usable cores, ${r.steps} timed steps after ${r.warmup} warm-up`,
    `  workers         tokens/s`,
    ...rows,
    `  speedup ${r.speedup.toFixed(2)}× (auto over 1 worker)`,
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const options: DataParallelBenchOptions = { log: (line) => process.stderr.write(`${line}\n`) };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = (): string => inline ?? argv[++i] ?? '';
    if (flag === '--json') json = true;
    else if (flag === '--steps') options.steps = Number(value());
    else if (flag === '--warmup') options.warmup = Number(value());
    else if (flag === '--seed') options.seed = Number(value());
    else if (flag === '--config') {
      const name = value();
      options.config = BENCH_CONFIGS.find((c) => c.name === name);
      if (options.config === undefined) throw new Error(`Unknown --config '${name}'. Supported: ${BENCH_CONFIGS.map((c) => c.name).join(', ')}`);
    } else throw new Error(`Unknown option '${argv[i]}'. Options: --config ref|d512, --steps N, --warmup N, --seed N, --json`);
  }
  const report = await benchDataParallel(options);
  process.stdout.write(`${json ? JSON.stringify(report, null, 2) : formatDataParallelReport(report)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
