import { ComponentConfig } from '../config/component-config';
import { ConfigError } from '../errors';
import type { Trainer } from '../trainer/trainer';
import { Callback } from './callback';
import { KillSwitchCallback } from './kill-switch-callback';
import { MetricsJsonlCallback } from './metrics-jsonl-callback';
import { ProgressCallback } from './progress-callback';
import { ReportCallback } from './report-callback';
import { SignalStopCallback } from './signal-stop-callback';
import { StatusCallback } from './status-callback';
import { TensorBoardCallback } from './tensorboard-callback';

// `any`: each callback class narrows its constructor to its own config class.
type CallbackClass = (new (trainer: Trainer, config: any) => Callback) & { type: string; configType: new () => ComponentConfig };

/** An instance of `cls` with its default config plus `fields`. */
function build(trainer: Trainer, cls: CallbackClass, fields: Record<string, unknown> = {}): Callback {
  return new cls(trainer, Object.assign(new cls.configType(), { type: cls.type }, fields));
}

/** The callbacks a trainer class declares in its static `callbackType` list, built with default configs. */
function declaredCallbacks(trainer: Trainer): Callback[] {
  const declared = (trainer.constructor as unknown as { callbackType?: unknown }).callbackType;
  const list = declared === undefined ? [] : Array.isArray(declared) ? declared : [declared];
  return list.map((cls, i) => {
    if (typeof cls !== 'function' || !(cls.prototype instanceof Callback)) {
      throw new ConfigError([{ path: `${trainer.constructor.name}.callbackType[${i}]`, message: 'is not a Callback class' }]);
    }
    return build(trainer, cls as CallbackClass);
  });
}

/**
 * Every callback of a run, in hook order: flow control first (signals, kill switch), then the
 * trainer's declared callbacks and the recipe's `callbacks:`, then the always-on observers the
 * recipe's top-level fields turn on (metrics.jsonl, TensorBoard, status.json, progress, report —
 * the report last, after the metrics files are closed). A built-in the recipe lists itself (to
 * configure it) is not added a second time.
 */
export function createRunCallbacks(trainer: Trainer, recipeCallbacks: readonly Callback[]): Callback[] {
  const c = trainer.config;
  const listed = [...declaredCallbacks(trainer), ...recipeCallbacks];
  const types = new Set(listed.map((cb) => (cb.constructor as CallbackClass).type));
  const builtIn = (on: boolean, cls: CallbackClass, fields?: Record<string, unknown>): Callback[] => (on && !types.has(cls.type) ? [build(trainer, cls, fields)] : []);
  return [
    ...builtIn(c.handleSignals, SignalStopCallback),
    ...builtIn(c.killSwitchFile !== undefined, KillSwitchCallback, { file: c.killSwitchFile }),
    ...listed,
    ...builtIn(c.metricsLog, MetricsJsonlCallback),
    ...builtIn(c.tensorboard, TensorBoardCallback),
    ...builtIn(c.status, StatusCallback, { interval: c.statusInterval }),
    ...builtIn(c.progress !== 'none', ProgressCallback, { mode: c.progress }),
    ...builtIn(c.report, ReportCallback),
  ];
}
