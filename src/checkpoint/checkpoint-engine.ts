import { IsBoolean, IsOptional } from 'class-validator';
import { ComponentConfig, ConfigClass } from '../config/component-config';
import { Count, HumanNumber, IsCount, resolveCount } from '../config/human-number';
import { IsPath } from '../config/is-path';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';

/** Why a save is being considered. */
export type SaveReason = 'step' | 'epoch' | 'end' | 'requested';

/** Base config of checkpoint engines (entries of the recipe's `checkpoint:` list). */
export class CheckpointConfig extends ComponentConfig {
  /** Save every N optimizer steps (a count or a percentage of the training horizon); 0 = never. */
  @HumanNumber()
  @IsCount({ allowPercent: true })
  saveEveryNSteps: Count = 0;

  /** Save at the end of every N epochs; 0 = never. */
  @HumanNumber()
  @IsCount()
  saveEveryNEpochs = 0;

  /** Save once more when training ends. */
  @IsBoolean()
  saveEndOfTraining = true;

  /** Folder for this engine's checkpoints, relative to the run's outputDir (default `checkpoints` for floe, the format's name for exports); each engine needs its own. */
  @IsOptional()
  @IsPath()
  dir?: string;
}

/** Saves (and possibly loads) checkpoints of the run. */
export abstract class CheckpointEngine<C extends CheckpointConfig = CheckpointConfig> extends Component<C> {
  static override readonly kind: string = 'checkpoint';
  static override readonly configType: ConfigClass = CheckpointConfig;
  /**
   * Folder, relative to the run folder, the engine writes to when its config sets no `dir`
   * (undefined for engines without a folder of their own). Validation uses it to refuse two
   * engines sharing a folder, the run's setup to create the folder before training.
   */
  static readonly defaultDir?: string;

  /** Optimizer step of this engine's last save (the trainer skips a second save at the same step). */
  lastSavedStep = -1;

  /** True when its checkpoints can be resumed from (`--resume`); the run's last checkpoint names these first. */
  readonly resumable: boolean = false;

  /** Writes a checkpoint of the trainer's current state; returns its folder. */
  abstract save(reason: SaveReason): Promise<string>;

  /** Whether this engine wants to save now. */
  shouldSave(reason: SaveReason): boolean {
    const c = this.config;
    if (reason === 'requested') return true;
    if (reason === 'end') return c.saveEndOfTraining;
    if (reason === 'epoch') return c.saveEveryNEpochs > 0 && (this.trainer.epochIndex + 1) % c.saveEveryNEpochs === 0;
    const every = resolveCount(c.saveEveryNSteps, this.trainer.trainingHorizon);
    return every > 0 && this.trainer.globalStep % every === 0;
  }
}

/** The checkpoint engine kind: trainers list them in `checkpointEngineType`; the recipe section is a list. */
export const CHECKPOINT_KIND = defineComponentKind({
  name: 'checkpoint',
  label: 'checkpoint engine',
  baseConfig: CheckpointConfig,
  requiredMethods: ['save'],
  trainerAttribute: 'checkpointEngineType',
  recipeSection: 'checkpoint',
  sectionIsList: true,
});
