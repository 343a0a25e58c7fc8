import { Callback } from '../callbacks/callback';
import { KillSwitchCallback } from '../callbacks/kill-switch-callback';
import { MetricsJsonlCallback } from '../callbacks/metrics-jsonl-callback';
import { ProgressCallback } from '../callbacks/progress-callback';
import { ReportCallback } from '../callbacks/report-callback';
import { StatusCallback } from '../callbacks/status-callback';
import { TensorBoardCallback } from '../callbacks/tensorboard-callback';

/** Built-in callbacks that write the run folder or the terminal, so only rank 0 runs them. */
export const MAIN_RANK_CALLBACKS = [StatusCallback, MetricsJsonlCallback, TensorBoardCallback, ProgressCallback, ReportCallback, KillSwitchCallback] as const;

/**
 * True if `callback` runs on rank 0 only: one of {@link MAIN_RANK_CALLBACKS} (or a subclass), or
 * a class declaring `static readonly mainRankOnly = true`. Other callbacks run on every rank.
 */
export function runsOnMainRankOnly(callback: Callback): boolean {
  const declared = (callback.constructor as { mainRankOnly?: unknown }).mainRankOnly;
  if (typeof declared === 'boolean') return declared;
  return MAIN_RANK_CALLBACKS.some((cls) => callback instanceof cls);
}
