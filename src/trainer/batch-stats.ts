import * as tf from '@tensorflow/tfjs';
import { Metrics } from '../callbacks/callback';

/**
 * Examples, real tokens and loss tokens in a batch, found without reading tensor data
 * (`numSamples`, `numTokens`, `numLossTokens` fields where the batch has them).
 */
export function batchStats(batch: unknown): { samples: number; tokens: number; lossTokens: number } {
  if (typeof batch !== 'object' || batch === null) return { samples: 0, tokens: 0, lossTokens: 0 };
  const record = batch as Record<string, unknown>;
  const tokens = typeof record.numTokens === 'number' ? record.numTokens : 0;
  const lossTokens = typeof record.numLossTokens === 'number' ? record.numLossTokens : tokens;
  let samples = typeof record.numSamples === 'number' ? record.numSamples : 0;
  if (samples === 0) {
    const first = Object.values(record).find((v): v is tf.Tensor => v instanceof tf.Tensor);
    samples = first === undefined || first.rank === 0 ? 0 : first.shape[0];
  }
  return { samples, tokens, lossTokens };
}

/** `step 10/200 | epoch 0 | loss 2.3456 | lr 1.00e-3 | grad 0.91 | 2,345 tok/s` */
export function formatLogLine(m: Metrics, horizon: number): string {
  const parts = [`step ${m.step}/${horizon}`, `epoch ${m.epoch}`, `loss ${formatMetricValue(m.loss, 4)}`, `lr ${m.lr.toExponential(2)}`];
  if (m.gradNorm !== undefined) parts.push(`grad ${formatMetricValue(m.gradNorm, 3)}`);
  if (m.tokensPerSec > 0) parts.push(`${Math.round(m.tokensPerSec).toLocaleString('en-US')} tok/s`);
  else if (m.samplesPerSec > 0) parts.push(`${Math.round(m.samplesPerSec).toLocaleString('en-US')} samples/s`);
  return parts.join(' | ');
}

/**
 * A logged number as the console shows it: `digits` decimals (`2.3457`); a value too small for
 * them in exponent form (`3.21e-5`, not `0.0000`, which reads as a perfect fit); a diverged value
 * as `NaN` / `Infinity` (as in metrics.jsonl), never as a missing `n/a`; `n/a` when not logged.
 */
export function formatMetricValue(v: number | undefined, digits: number): string {
  if (v === undefined) return 'n/a';
  if (!Number.isFinite(v)) return String(v);
  return v !== 0 && Math.abs(v) < 10 ** -(digits - 1) ? v.toExponential(2) : v.toFixed(digits);
}
