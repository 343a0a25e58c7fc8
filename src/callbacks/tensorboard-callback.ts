import * as path from 'path';
import { IsOptional } from 'class-validator';
import { register } from '../registry/register';
import { Callback, CallbackConfig, Metrics } from './callback';
import { TensorBoardWriter } from './writers/tensorboard-writer';
import { IsPath } from '../config/is-path';
import { isPartialWindow } from '../trainer/train-log-record';

/** Config of the `tensorboard` callback. */
export class TensorBoardConfig extends CallbackConfig {
  /** Folder of the event files, relative to the run folder (default: the run folder itself). */
  @IsOptional()
  @IsPath()
  logDir?: string;
}

/** Tags of the training scalars, by log-record key. */
export const TENSORBOARD_TRAIN_TAGS: Readonly<Record<string, string>> = {
  loss: 'train/loss',
  lr: 'train/lr',
  gradNorm: 'train/grad_norm',
  tokensPerSec: 'train/tokens_per_sec',
  samplesPerSec: 'train/samples_per_sec',
};

/** Tag of the steps a partial log window covers (fewer than `logInterval`): charted only at such windows, e.g. the last one of a failed run. */
export const TENSORBOARD_PARTIAL_WINDOW_TAG = 'train/window_steps';

/**
 * Writes training scalars (`train/loss`, `train/lr`, `train/grad_norm`, throughput; `train/window_steps`
 * at a partial window, such as a failed run's last) and every
 * evaluation metric (under its own name, e.g. `eval/loss`) to a TensorBoard event file
 * (`tensorboard --logdir <run folder>`).
 */
@register()
export class TensorBoardCallback extends Callback<TensorBoardConfig> {
  static override readonly type: string = 'tensorboard';
  static override readonly configType = TensorBoardConfig;

  private writer?: TensorBoardWriter;

  /** Absolute folder of the event files. */
  get logDir(): string {
    return path.resolve(this.trainer.context.outputDir, this.config.logDir ?? '.');
  }

  /** Path of the event file being written, once training began. */
  get file(): string | undefined {
    return this.writer?.file;
  }

  override async onTrainBegin(): Promise<void> {
    this.writer = await TensorBoardWriter.create(this.logDir);
    // Resumed at step S: the points an earlier file holds after S belong to the abandoned run.
    const step = this.trainer.globalStep;
    if (step > 0) await this.writer.addSessionStart(step + 1);
  }

  override async onLog(metrics: Metrics): Promise<void> {
    const scalars: Record<string, number> = {};
    for (const [key, tag] of Object.entries(TENSORBOARD_TRAIN_TAGS)) {
      // No flat-zero throughput curve: tokensPerSec is absent for batches without tokens, and a
      // 0 (a window of no measurable time) says nothing.
      const throughput = key === 'tokensPerSec' || key === 'samplesPerSec';
      if (typeof metrics[key] === 'number' && !(throughput && metrics[key] === 0)) scalars[tag] = metrics[key];
    }
    if (isPartialWindow(metrics, this.trainer.config.logInterval)) scalars[TENSORBOARD_PARTIAL_WINDOW_TAG] = metrics.windowSteps;
    await this.writer?.addScalars(scalars, metrics.step);
  }

  override async onEvaluate(metrics: Metrics): Promise<void> {
    if (Object.keys(metrics).length === 0) return;
    await this.writer?.addScalars(metrics, this.trainer.globalStep);
  }

  override async onTrainEnd(): Promise<void> {
    await this.dispose();
  }

  override async dispose(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close();
  }
}
