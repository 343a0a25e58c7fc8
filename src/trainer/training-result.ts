/** How a run ended. */
export type RunStatus = 'finished' | 'stopped' | 'failed';

/** What `runJob` and `Trainer.train()` return. */
export interface TrainingResult {
  /** True when training ran to its end or was stopped on purpose (not failed). */
  success: boolean;
  /** `finished` (reached the end), `stopped` (on purpose, see `stopReason`) or `failed`. */
  status: RunStatus;
  /** Why the run stopped early, if it did. */
  stopReason?: string;
  /** Optimizer steps taken in total (including those before a resume). */
  globalStep: number;
  /** Wall-clock seconds of this process's training. */
  runtimeSec: number;
  /** Optimizer step this process started at: 0, or the step of the checkpoint it resumed from. */
  startStep: number;
  /**
   * Folder of the newest resumable (floe) checkpoint written or loaded, the one `--resume` takes;
   * when no engine of the run is resumable, of the newest weights-only export. Undefined if none.
   */
  lastCheckpointPath?: string;
  /** Mean training loss over the last logged window. */
  finalLoss?: number;
  /** Last training metrics and last evaluation metrics (`eval/...`). */
  metrics: Record<string, number>;
  /** The run folder. */
  outputDir: string;
}

/** The result of a run that ended with `status` (not failed), from what its trainer holds at the end. */
export function trainingResultOf(
  trainer: { control: { stopReason?: string }; globalStep: number; lastCheckpointPath?: string; lastMetrics: Record<string, number>; context: { outputDir: string } },
  options: { status: RunStatus; runtimeSec: number; startStep: number },
): TrainingResult {
  return {
    success: true,
    status: options.status,
    stopReason: trainer.control.stopReason,
    globalStep: trainer.globalStep,
    runtimeSec: options.runtimeSec,
    startStep: options.startStep,
    lastCheckpointPath: trainer.lastCheckpointPath,
    finalLoss: trainer.lastMetrics.loss,
    metrics: { ...trainer.lastMetrics },
    outputDir: trainer.context.outputDir,
  };
}
