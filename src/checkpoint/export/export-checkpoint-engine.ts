import * as path from 'path';
import { IsOptional } from 'class-validator';
import { HumanNumber, IsCount } from '../../config/human-number';
import { CheckpointConfig, CheckpointEngine, SaveReason } from '../checkpoint-engine';
import { stepDirName } from '../checkpoint-layout';
import { makeFolder } from '../io/make-folder';
import { pruneCheckpoints } from '../prune-checkpoints';
import { removeStaleTempDirs } from '../stale-temp-dirs';
import { saveError } from '../save-error';
import { EXPORT_MARKER, ExportFormat, ExportModelOptions, exportModel } from './export-model';

/** Config of the weights-only export engines (`safetensors`, `tfjs`, `hf`). */
export class ExportCheckpointConfig extends CheckpointConfig {
  /** Keep only the newest N exports; unset keeps all. */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  keepLast?: number;
}

/**
 * Base of engines that export the model's weights (no optimizer or trainer state, so not
 * resumable) into `<outputDir>/<dir>/step-NNNNNN`, atomically, pruning to `keepLast`.
 */
export abstract class ExportCheckpointEngine<C extends ExportCheckpointConfig = ExportCheckpointConfig> extends CheckpointEngine<C> {
  /** The format written. */
  protected abstract readonly format: ExportFormat;

  /** Further options of each export (the `hf` engine adds the run's tokenizer). */
  protected exportOptions(): Partial<ExportModelOptions> {
    return {};
  }

  /** Folder holding this engine's exports (default: the class's `defaultDir`, else the format's name). */
  get root(): string {
    return path.resolve(this.trainer.context.outputDir, this.config.dir ?? (this.constructor as typeof ExportCheckpointEngine).defaultDir ?? this.format);
  }

  async save(_reason: SaveReason): Promise<string> {
    const t = this.trainer;
    const dir = path.join(this.root, stepDirName(t.globalStep));
    await makeFolder(this.root);
    await removeStaleTempDirs(this.root);
    const marker = EXPORT_MARKER[this.format];
    await exportModel(t.model, dir, { ...this.exportOptions(), format: this.format, modelType: t.config.model.type, overwrite: true, metadata: { step: String(t.globalStep) } }).catch(async (error: unknown) =>
      Promise.reject(await saveError(error, { dir, step: t.globalStep, setting: `checkpoint[${t.checkpointEngines.indexOf(this)}]`, marker })),
    );
    await pruneCheckpoints(this.root, { newest: dir, keepLast: this.config.keepLast, marker });
    return dir;
  }
}
