import { BENCH_CONFIGS, type BenchConfig } from './bench-config';

/** Backends the benchmark knows how to start without network access. */
export const BENCH_BACKENDS = ['wasm', 'cpu'] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

/** Parsed command line of `npm run bench`. */
export interface BenchArgs {
  config: BenchConfig;
  backends: BenchBackend[];
  /** Timed steps per loop (undefined: the config's / backend's default). */
  steps?: number;
  /** Warm-up steps per loop (undefined: the config's / backend's default). */
  warmup?: number;
  json: boolean;
  seed: number;
  /** Data-parallel section (bench/data-parallel-bench.ts): `on` after the loops, `off`, or `only`. */
  dataParallel: 'on' | 'off' | 'only';
}

export const USAGE = `Usage: npm run bench -- [options]

Trains a GPT with Floe's Trainer and with a hand-written tfjs loop, alternating steps, and prints
tokens/s, ms/step, model GFLOP/s, numTensors and RSS per backend.

  --config ref|d512     model: ref (PERF.md reference, default) or d512 (d 512, 8 heads, 4 layers, seq 256)
  --backend LIST        comma-separated, from: ${BENCH_BACKENDS.join(', ')} (default: wasm,cpu)
  --steps N             timed steps per loop (default: ref 50, d512 10; cpu 3)
  --warmup N            warm-up steps per loop (default: ref 30, d512 10; cpu 1)
  --seed N              init and data seed (default 1234)
  --data-parallel on|off|only
                        also train with 1 worker thread and with workers: auto and report the
                        speedup (default on; only: just that)
  --json                print one JSON object instead of the table
  --help                this text`;

/** Thrown for a bad command line; the message is printed with the usage. */
export class BenchArgsError extends Error {}

/** `value` as an integer ≥ `min`, else a {@link BenchArgsError} naming the flag. */
export function count(flag: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) throw new BenchArgsError(`${flag} needs an integer >= ${min}, got '${value ?? ''}'`);
  return n;
}

/** Parses `argv` (without node and script). Returns undefined for `--help`. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs | undefined {
  const args: BenchArgs = { config: BENCH_CONFIGS[0], backends: ['wasm', 'cpu'], json: false, seed: 1234, dataParallel: 'on' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        return undefined;
      case '--json':
        args.json = true;
        break;
      case '--config': {
        const name = value();
        const found = BENCH_CONFIGS.find((c) => c.name === name);
        if (found === undefined) throw new BenchArgsError(`Unknown --config '${name ?? ''}'. Supported: ${BENCH_CONFIGS.map((c) => c.name).join(', ')}`);
        args.config = found;
        break;
      }
      case '--backend':
      case '--backends': {
        const names = (value() ?? '').split(',').filter((s) => s.length > 0);
        const bad = names.filter((n) => !(BENCH_BACKENDS as readonly string[]).includes(n));
        if (names.length === 0 || bad.length > 0) throw new BenchArgsError(`Unknown --backend '${bad.join(',')}'. Supported: ${BENCH_BACKENDS.join(', ')}`);
        args.backends = names as BenchBackend[];
        break;
      }
      case '--steps':
        args.steps = count(flag, value(), 1);
        break;
      case '--warmup':
        args.warmup = count(flag, value(), 0);
        break;
      case '--data-parallel': {
        const mode = value();
        if (mode !== 'on' && mode !== 'off' && mode !== 'only') throw new BenchArgsError(`--data-parallel takes on, off or only, got '${mode ?? ''}'`);
        args.dataParallel = mode;
        break;
      }
      case '--seed':
        args.seed = count(flag, value(), 0);
        break;
      default:
        throw new BenchArgsError(`Unknown option '${argv[i]}'`);
    }
  }
  return args;
}

/** Warm-up and timed steps for one backend: the flags, else the config's defaults (cpu: 1 and 3, it runs ~20 s/step). */
export function stepsFor(args: BenchArgs, backend: BenchBackend): { warmup: number; timed: number } {
  const slow = backend === 'cpu';
  return {
    warmup: args.warmup ?? (slow ? 1 : args.config.warmupSteps),
    timed: args.steps ?? (slow ? 3 : args.config.timedSteps),
  };
}
