import { IsIn, IsInt, IsNumber, IsString, Min } from 'class-validator';
import { resolveCount } from '../config/human-number';
import { register } from '../registry/register';
import { Callback, CallbackConfig, Metrics } from './callback';
import { TrainerControl } from './trainer-control';

/** Config of the `early-stopping` callback. */
export class EarlyStoppingConfig extends CallbackConfig {
  /** Evaluation metric to watch, e.g. `eval/loss`. */
  @IsString()
  metric = 'eval/loss';

  /** Evaluations without improvement to tolerate before stopping. */
  @IsInt()
  @Min(1)
  patience = 3;

  /** Smallest change that counts as an improvement. */
  @IsNumber()
  @Min(0)
  minDelta = 0;

  /** `min` when lower is better (losses), `max` when higher is better (accuracy). */
  @IsIn(['min', 'max'])
  mode: 'min' | 'max' = 'min';
}

/**
 * Stops training when an evaluation metric has not improved by more than `minDelta` for
 * `patience` evaluations in a row. The run ends as `stopped` and saves its end checkpoint as
 * usual. (The count starts afresh when a run is resumed.)
 */
@register()
export class EarlyStoppingCallback extends Callback<EarlyStoppingConfig> {
  static override readonly type: string = 'early-stopping';
  static override readonly configType = EarlyStoppingConfig;

  /** Best value seen and the step it was seen at. */
  best?: {
    /** The best value of the metric so far. */
    value: number;
    /** The optimizer step it was reached at. */
    step: number;
  };
  /** Evaluations since the last improvement. */
  wait = 0;
  private warnedMissing = false;

  override async onTrainBegin(): Promise<void> {
    // Without held-out data no evaluation runs, so this callback could never stop the run.
    if (this.trainer.evalLoader === undefined) {
      this.trainer.logger.warn(`early-stopping: there is no eval split (see data.trainEvalSplit), so '${this.config.metric}' is never measured and this callback never stops training`);
    } else if (resolveCount(this.trainer.config.evalInterval, this.trainer.trainingHorizon) === 0) {
      // evalInterval's default is 0: a recipe that adds this callback alone evaluates only once training is over.
      this.trainer.logger.warn(
        `early-stopping: evalInterval is ${String(this.trainer.config.evalInterval)}, so evaluations run only when training ends and this callback never stops it; ` +
          `set evalInterval (e.g. --set evalInterval=10%) to evaluate during training`,
      );
    }
  }

  override async onEvaluate(metrics: Metrics, control: TrainerControl): Promise<void> {
    const { metric, patience, minDelta, mode } = this.config;
    const value = metrics[metric];
    if (value === undefined) {
      if (!this.warnedMissing && Object.keys(metrics).length > 0) {
        this.trainer.logger.warn(`early-stopping: evaluation has no metric '${metric}' (it has: ${Object.keys(metrics).join(', ')})`);
        this.warnedMissing = true;
      }
      return;
    }
    const step = this.trainer.globalStep;
    const improved = this.best === undefined || (mode === 'min' ? value < this.best.value - minDelta : value > this.best.value + minDelta);
    if (improved && Number.isFinite(value)) {
      this.best = { value, step };
      this.wait = 0;
      return;
    }
    this.wait++;
    if (this.wait < patience) return;
    const best = this.best === undefined ? 'none' : `${this.best.value.toPrecision(5)} at step ${this.best.step}`;
    control.stop(`early stopping at step ${step}: ${metric} did not improve by more than ${minDelta} for ${patience} evaluation(s) (best ${best})`);
  }
}
