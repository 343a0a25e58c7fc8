import { MultiBar, Presets, SingleBar } from 'cli-progress';
import { IsIn } from 'class-validator';
import { register } from '../registry/register';
import { formatLogLine, formatMetricValue } from '../trainer/batch-stats';
import { Callback, CallbackConfig, Metrics } from './callback';
import { formatDuration, RunClock } from './run-clock';
import { TrainerControl } from './trainer-control';

/** How progress is shown. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** The progress display modes, `auto` first. */
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'none'];

/** Config of the `progress` callback. */
export class ProgressConfig extends CallbackConfig {
  /** `bar` on a terminal (plain lines elsewhere), `lines` (one line per log), `none`; `auto` picks by whether stderr is a TTY. A `quiet` run shows none. */
  @IsIn(PROGRESS_MODES as unknown as string[])
  mode: ProgressMode = 'auto';
}

/** The stream a progress bar draws on; only `write` and `isTTY`/`columns` are used. */
export interface ProgressStream {
  /** Writes text as it is. */
  write(chunk: string): unknown;
  /** True for a terminal (the bar is drawn only there). */
  isTTY?: boolean;
  /** Terminal width in characters. */
  columns?: number;
}

/**
 * Shows what training is doing. On a terminal: a bar (step/total, loss, lr, throughput, ETA)
 * redrawn as steps complete, with evaluation results printed above it. Elsewhere (CI, a log
 * file): one plain line per log interval and one per evaluation, through the run's logger.
 */
@register()
export class ProgressCallback extends Callback<ProgressConfig> {
  static override readonly type: string = 'progress';
  static override readonly configType = ProgressConfig;

  /** Where the bar is drawn (tests substitute a fake terminal). */
  stream: ProgressStream = process.stderr;
  /**
   * Whether the run's log lines (stdout) show on the terminal the bar is drawn on. When they go to
   * a file or a pipe instead (`floe train r.yaml > train.log`, `| tee`), the step and eval lines
   * are logged there too, as off a terminal: the bar alone would leave the log without them.
   */
  logIsTerminal: boolean = process.stdout.isTTY === true;
  private readonly clock = new RunClock();
  private multi?: MultiBar;
  private bar?: SingleBar;
  private unwrapLogger?: () => void;
  // `remaining`, not `eta`: cli-progress fills {eta} itself, from its own rate estimate.
  private payload: Record<string, string> = { loss: 'n/a', lr: 'n/a', speed: '', remaining: '?' };

  /** The mode in effect: `auto` resolved against the stream, `CI` and `quiet`; `bar` needs a terminal. */
  get mode(): Exclude<ProgressMode, 'auto'> {
    // `quiet` means no progress output, whatever the mode: its lines would be dropped by the
    // logger anyway, and a bar (with eval lines) is drawn on the stream past it.
    if (this.trainer.config.quiet) return 'none';
    // Off a terminal cli-progress never starts a bar: it would print nothing but a final `n/100`.
    if (this.config.mode === 'bar' && this.stream.isTTY !== true) return 'lines';
    if (this.config.mode !== 'auto') return this.config.mode;
    return this.stream.isTTY === true && process.env.CI === undefined ? 'bar' : 'lines';
  }

  override async onTrainBegin(): Promise<void> {
    this.clock.start(this.trainer.globalStep);
    if (this.mode !== 'bar') return;
    this.multi = new MultiBar(
      {
        stream: this.stream as NodeJS.WritableStream,
        format: 'train |{bar}| {value}/{total} | loss {loss} | lr {lr}{speed} | ETA {remaining}',
        hideCursor: true,
        clearOnComplete: false,
        // Floe handles SIGINT/SIGTERM itself (finish the step, save); the bar must not grab them.
        gracefulExit: false,
        autopadding: true,
      },
      Presets.shades_classic,
    );
    this.bar = this.multi.create(this.trainer.trainingHorizon, this.trainer.globalStep, this.payload);
    // A warning printed while the bar is up would land on the bar's line: clear it, print, redraw.
    this.unwrapLogger = this.trainer.logger.wrapWrites((write) => {
      this.stream.write('\r\x1b[2K');
      write();
      this.multi?.update();
    });
  }

  override async onStepEnd(): Promise<void> {
    if (this.bar === undefined) return;
    this.payload.remaining = formatDuration(this.clock.etaSec(this.trainer.globalStep, this.trainer.trainingHorizon));
    this.bar.update(this.trainer.globalStep, this.payload);
  }

  override async onLog(metrics: Metrics): Promise<void> {
    const eta = formatDuration(this.clock.etaSec(metrics.step, this.trainer.trainingHorizon));
    if (this.logsLines) this.trainer.logger.info(`${formatLogLine(metrics, this.trainer.trainingHorizon)} | ETA ${eta}`);
    if (this.bar === undefined) return;
    this.payload.loss = formatMetricValue(metrics.loss, 4);
    this.payload.lr = metrics.lr.toExponential(2);
    // As the log lines print it: `2,345 tok/s`.
    const rate = (v: number): string => Math.round(v).toLocaleString('en-US');
    const speed = metrics.tokensPerSec > 0 ? `${rate(metrics.tokensPerSec)} tok/s` : metrics.samplesPerSec > 0 ? `${rate(metrics.samplesPerSec)} samples/s` : '';
    this.payload.speed = speed === '' ? '' : ` | ${speed}`;
    this.payload.remaining = eta;
    this.bar.update(metrics.step, this.payload);
  }

  override async onEvaluate(metrics: Metrics): Promise<void> {
    if (Object.keys(metrics).length === 0 || this.mode === 'none') return;
    const line = `eval step ${this.trainer.globalStep} | ${Object.entries(metrics)
      .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : formatMetricValue(v, 4)}`)
      .join(' | ')}`;
    if (this.multi !== undefined) this.multi.log(`${line}\n`);
    if (this.logsLines) this.trainer.logger.info(line);
  }

  /** Step and eval lines go to the log: off a terminal, and beside a bar whose terminal the log is not on. */
  private get logsLines(): boolean {
    const mode = this.mode;
    return mode === 'lines' || (mode === 'bar' && !this.logIsTerminal);
  }

  override async onTrainEnd(_control: TrainerControl): Promise<void> {
    await this.dispose();
  }

  override async dispose(): Promise<void> {
    this.unwrapLogger?.();
    this.unwrapLogger = undefined;
    // update() prints lines still buffered by log() (only the redraw timer would); stop() then
    // draws the final state, restores the cursor and clears the timer.
    this.multi?.update();
    this.multi?.stop();
    this.multi = undefined;
    this.bar = undefined;
  }
}
