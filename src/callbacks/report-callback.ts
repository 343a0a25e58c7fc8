import * as path from 'path';
import { IsOptional } from 'class-validator';
import { register } from '../registry/register';
import { writeReport } from '../report/write-report';
import { defaultMetricSources, MetricSources } from '../report/metric-sources';
import { Callback, CallbackConfig } from './callback';
import { MetricsJsonlCallback } from './metrics-jsonl-callback';
import { StatusCallback } from './status-callback';
import { TensorBoardCallback } from './tensorboard-callback';
import { IsPath } from '../config/is-path';

/** Config of the `report` callback. */
export class ReportConfig extends CallbackConfig {
  /** Folder for report.html and the charts, relative to the run folder (default: the run folder). */
  @IsOptional()
  @IsPath()
  dir?: string;
}

/**
 * Writes the run's report (loss, learning-rate and eval curves as SVG/PNG, report.html) when
 * training ends, and after a failure once training began — what `floe report <runDir>` does. A report that cannot be drawn is a warning,
 * never a failed run. List it after the metrics callbacks, which close their files at the end.
 */
@register()
export class ReportCallback extends Callback<ReportConfig> {
  static override readonly type: string = 'report';
  static override readonly configType = ReportConfig;

  override async onTrainEnd(): Promise<void> {
    await this.write();
  }

  /**
   * Writes the report now. `runJob` calls it for a run that failed once training began, after
   * status.json says `failed`: the page then shows the error beside the curves up to the failure.
   */
  async write(): Promise<void> {
    const runDir = this.trainer.context.outputDir;
    try {
      const { html } = await writeReport(runDir, { outDir: path.resolve(runDir, this.config.dir ?? '.'), sources: this.metricSources(runDir) });
      if (!this.trainer.config.quiet) this.trainer.logger.info(`report: ${path.relative(process.cwd(), html) || html}`);
    } catch (error) {
      this.trainer.logger.warn(`could not write the report: ${(error as Error).message}`);
    }
  }

  /** Where this run's metrics and status callbacks write, which a recipe may move (`file:`, `logDir:`). */
  private metricSources(runDir: string): MetricSources {
    const sources = defaultMetricSources(runDir);
    const jsonl = this.trainer.callbackList.find(MetricsJsonlCallback);
    const events = this.trainer.callbackList.find(TensorBoardCallback);
    const status = this.trainer.callbackList.find(StatusCallback);
    return { metricsFile: jsonl?.file ?? sources.metricsFile, eventsDir: events?.logDir ?? sources.eventsDir, statusFile: status?.file ?? sources.statusFile };
  }
}
