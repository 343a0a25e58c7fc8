import type { NativeKernelsStatus } from '../src/backend/native';
import type { BenchConfig } from './bench-config';
import { TRAIN_HPARAMS } from './hand-written-loop';
import type { InterleavedResult, LoopResult } from './interleaved-run';

/** Everything measured on one backend. */
export interface BackendReport extends InterleavedResult {
  backend: string;
  kernelOverrides: string[];
  /** Whether Floe's native GEMM/Sum kernels ran (wasm only; `FLOE_NATIVE=0` turns them off). */
  native?: NativeKernelsStatus;
  /** Floe's median ms/step over the hand-written loop's (1.00 = no overhead). */
  overheadRatio: number;
  /** Median over rounds of Floe's step time / the hand-written step of the same round (less sensitive to load). */
  pairedOverheadRatio: number;
  /** Mean training loss of the last logged window, per loop (both train the same model on the same data). */
  lastLoss: Record<string, number>;
  warmupSteps: number;
  timedSteps: number;
}

/** The whole benchmark run. */
export interface BenchReport {
  config: BenchConfig;
  flopsPerToken: number;
  tokensPerStep: number;
  node: string;
  tfjs: string;
  cpus: string;
  backends: BackendReport[];
}

const f = (x: number, digits = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function loopLine(l: LoopResult): string {
  const s = l.msPerStep;
  return (
    `  ${l.name.padEnd(13)} ${f(l.tokensPerSec).padStart(7)} tok/s  ` +
    `${f(s.median, 1).padStart(8)} ms/step (min ${f(s.min, 1)}, p25 ${f(s.p25, 1)}, p75 ${f(s.p75, 1)}, max ${f(s.max, 1)}; n=${s.count})  ` +
    `${f(l.gflops, 2).padStart(6)} GFLOP/s  tensors ${l.tensorGrowth >= 0 ? '+' : ''}${l.tensorGrowth}`
  );
}

/** The issue's targets for the reference config: Floe ≥ 3,700 tokens/s, ≤ 3% over the hand-written loop, no tensor growth. */
export const TARGETS = { tokensPerSec: 3700, maxOverhead: 1.03 } as const;

/** True when warm-up and timed steps are whole log windows, so pending metric scalars cancel out. */
function aligned(b: BackendReport): boolean {
  const every = TRAIN_HPARAMS.logInterval;
  return b.warmupSteps % every === 0 && b.timedSteps % every === 0;
}

function targetsLine(b: BackendReport): string {
  const floe = b.loops.find((l) => l.name === 'floe');
  if (floe === undefined) return '';
  const yes = (ok: boolean): string => (ok ? 'yes' : 'NO');
  // The per-round ratio: both steps of a round ran back to back, so machine load cancels out.
  const overhead = b.pairedOverheadRatio;
  return (
    `  targets: Floe ≥ ${f(TARGETS.tokensPerSec)} tok/s: ${yes(floe.tokensPerSec >= TARGETS.tokensPerSec)}; ` +
    `step ≤ ${f((TARGETS.maxOverhead - 1) * 100)}% over hand-written: ${yes(overhead <= TARGETS.maxOverhead)}; ` +
    `numTensors unchanged: ${aligned(b) ? yes(b.numTensorsAfter === b.numTensorsBefore) : 'n/a (not whole log windows)'}; RSS ${b.rssMbAfter >= b.rssMbBefore ? '+' : ''}${f(b.rssMbAfter - b.rssMbBefore)} MB`
  );
}

/** Human-readable report. */
export function formatReport(r: BenchReport): string {
  const c = r.config;
  const lines = [
    `Floe training benchmark — config '${c.name}': vocab ${c.vocabSize}, seq ${c.seqLength}, batch ${c.batchSize}, d ${c.dim}, ${c.heads} heads, ${c.layers} layers, MLP ${c.ffnDim}, AdamW`,
    `  ${f(r.tokensPerStep)} tokens/step, ${f(r.flopsPerToken / 1e6, 2)} MFLOP/token (model FLOPs: 3× forward matmuls)`,
    `  node ${r.node}, tfjs ${r.tfjs}, ${r.cpus}`,
  ];
  for (const b of r.backends) {
    lines.push('');
    lines.push(`backend ${b.backend}${b.kernelOverrides.length > 0 ? ` (Floe kernels: ${b.kernelOverrides.join(', ')})` : ''} — ${b.warmupSteps} warm-up + ${b.timedSteps} timed steps per loop, alternating`);
    if (b.native !== undefined) {
      lines.push(
        b.native.active
          ? `  native kernels: on (${b.native.isa}: ${b.native.kernels.join(', ')}); FLOE_NATIVE=0 for the wasm-only kernels`
          : `  native kernels: off (${b.native.reason ?? 'unknown'})`,
      );
    }
    for (const l of b.loops) lines.push(loopLine(l));
    const pct = (x: number): string => `${x >= 1 ? '+' : ''}${f((x - 1) * 100, 1)}%`;
    lines.push(`  Floe / hand-written step time: ${f(b.overheadRatio, 3)} (${pct(b.overheadRatio)}) from medians; ${f(b.pairedOverheadRatio, 3)} (${pct(b.pairedOverheadRatio)}) median of per-round ratios`);
    lines.push(
      `  numTensors ${b.numTensorsBefore} → ${b.numTensorsAfter} over the timed steps; RSS ${f(b.rssMbBefore)} → ${f(b.rssMbAfter)} MB` +
        (aligned(b) ? '' : ` (steps not a multiple of the log interval ${TRAIN_HPARAMS.logInterval}: loss/grad-norm scalars waiting for the next batched read count as growth)`),
    );
    // The issue's targets are for the default backend (wasm), reference config.
    if (r.config.name === 'ref' && b.backend === 'wasm') lines.push(targetsLine(b));
    lines.push(`  last logged loss: ${Object.entries(b.lastLoss).map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(4) : 'n/a'}`).join(', ')}`);
  }
  return lines.join('\n');
}
