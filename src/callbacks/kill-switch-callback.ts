import { promises as fs } from 'fs';
import * as path from 'path';
import { register } from '../registry/register';
import { Callback, CallbackConfig } from './callback';
import { TrainerControl } from './trainer-control';
import { IsPath } from '../config/is-path';

/** Config of the `kill-switch` callback. */
export class KillSwitchConfig extends CallbackConfig {
  /** File whose appearance stops the run, relative to the run folder (e.g. `STOP`). */
  @IsPath()
  file = 'STOP';
}

/**
 * Stops the run cleanly when a file appears (`touch runs/my-run/STOP`): the current optimizer step
 * finishes, a checkpoint is saved and the run ends as `stopped`. The file is checked after every
 * step (one `stat`, no read) and removed once it has acted, so resuming does not stop again.
 */
@register()
export class KillSwitchCallback extends Callback<KillSwitchConfig> {
  static override readonly type: string = 'kill-switch';
  static override readonly configType = KillSwitchConfig;

  /** Absolute path of the watched file. */
  get file(): string {
    return path.resolve(this.trainer.context.outputDir, this.config.file);
  }

  override async onTrainBegin(): Promise<void> {
    // A file left over from an earlier stop would end this run after one step; say so instead.
    if (await exists(this.file)) this.trainer.logger.warn(`kill-switch file ${this.file} already exists; the run will stop after its first step`);
  }

  override async onStepEnd(control: TrainerControl): Promise<void> {
    if (!(await exists(this.file))) return;
    control.stop(`kill-switch file ${this.file} found`);
    control.shouldSave = true;
    this.trainer.logger.warn(`kill-switch file found: stopping after step ${this.trainer.globalStep} and saving a checkpoint`);
    await fs.rm(this.file, { force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}
