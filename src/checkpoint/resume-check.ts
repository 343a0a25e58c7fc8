import * as fs from 'fs/promises';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { isAtOrUnder } from '../config/config-path';
import { rebaseRecipePaths } from '../config/recipe-paths';
import { CheckpointError } from '../errors';
import type { Logger } from '../logging/logger';
import { OptimizerStateError } from '../optim/optimizer-state-error';
import type { Trainer } from '../trainer/trainer';
import { RECIPE_FILE, TRAINER_STATE_FILE } from './checkpoint-layout';
import { savedRecipeDir } from './checkpoint-recipe';
import { RESUME_EXEMPT_SETTINGS, RecipeChange, diffRecipes, formatRecipeChange, formatRecipeValue } from './recipe-changes';
import { runShapeNote } from './run-shape-change';
import { SavedRunShape, checkSavedRunShape } from './saved-run-shape';
import { checkStateCounters, runsBuiltInLoop } from './state-counters';
import { newestCheckpointBefore } from './verify-checkpoint';
import type { TrainerStateFile } from './trainer-state-file';

/** Changes listed in the warning before the rest are counted. */
const MAX_LISTED = 20;

/** Settings that decide which examples the training data holds and in what order. */
const DATA_ORDER_SETTINGS = ['seed', 'microBatchSize', 'data', 'tokenizer'];

/** Settings that decide an evaluation's result: the trainer, model, tokenizer, loss and eval data (its split follows the seed). */
const EVALUATION_SETTINGS = ['type', 'seed', 'model', 'tokenizer', 'data', 'loss'];

/** Why a checkpoint is loaded: to continue training it, or to evaluate its weights (no optimizer state). */
export type CheckpointLoadPurpose = 'resume' | 'evaluate';

function under(change: RecipeChange, sections: string[]): boolean {
  return sections.some((s) => isAtOrUnder(change.path, s));
}

/** `model.dim is 64 in the recipe but 32 in the checkpoint's recipe.yaml` */
function contrast(change: RecipeChange): string {
  return `${change.path} is ${formatRecipeValue(change.current)} in the recipe but ${formatRecipeValue(change.saved)} in the checkpoint's ${RECIPE_FILE}`;
}

/** The checkpoint's recipe, or undefined (with a warning when the file is there but unreadable). */
async function readSavedRecipe(dir: string, logger: Logger | undefined): Promise<Record<string, unknown> | undefined> {
  const file = path.join(dir, RECIPE_FILE);
  try {
    const parsed: unknown = parseYaml(await fs.readFile(file, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    logger?.warn(`cannot compare the recipe with the checkpoint's: '${file}' does not hold a recipe (a YAML mapping)`);
  } catch (error) {
    // Checkpoints written by engines that save no recipe: nothing to compare.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    logger?.warn(`cannot compare the recipe with the checkpoint's: '${file}': ${(error as Error).message}`);
  }
  return undefined;
}

/**
 * Checks the trainer state's counters against each other: throws for a contradiction no save of
 * Floe's loop writes; returns the warning for one that a change of batching before the save (or a
 * trainer's own loop) explains, if any.
 */
async function counterProblems(trainer: Trainer, dir: string, stateFile: TrainerStateFile, shape: SavedRunShape | undefined): Promise<string | undefined> {
  const builtInLoop = runsBuiltInLoop(trainer);
  const { errors, warnings } = checkStateCounters(stateFile.state, { shape, builtInLoop });
  const file = path.join(dir, TRAINER_STATE_FILE);
  if (errors.length > 0) {
    const older = await newestCheckpointBefore(dir);
    const other = older === undefined ? 'another checkpoint' : `another checkpoint (the newest before it is ${older.dir})`;
    throw new CheckpointError(`Invalid trainer state '${file}': ${errors.join('; ')}. No save writes this: the file was edited or is damaged; resume from ${other}.`);
  }
  if (warnings.length === 0) return undefined;
  const own = builtInLoop ? '' : ", or this trainer's own epoch(), step() or optimizerStep()";
  return (
    `the counters of ${file} disagree: ${warnings.join('; ')}. ` +
    `A save keeps these while the run's batching stays the same; a resume with another global batch or rank count before this save${own} explains them, else the file was edited. The run resumes from the saved values.`
  );
}

/**
 * What a resumed run changed from the run that wrote its checkpoint: the settings that differ from
 * the checkpoint's `recipe.yaml` (a warning lists them) and the batching (global batch, rank count,
 * length) recorded in its trainer state. Errors from loading the weights or the optimizer state
 * are explained in these terms.
 */
export class ResumeCheck {
  private constructor(
    private readonly trainer: Trainer,
    private readonly dir: string,
    private readonly stateFile: TrainerStateFile,
    private readonly shape: SavedRunShape | undefined,
    /** Settings that differ from the checkpoint's recipe.yaml, in recipe order (empty without one). */
    readonly changes: RecipeChange[],
    private readonly purpose: CheckpointLoadPurpose,
    /** The state's counters that disagree in a way a change of batching (or the trainer's own loop) explains. */
    private readonly counterWarning?: string,
  ) {}

  /**
   * Compares `trainer`'s run with checkpoint `dir`, whose parsed trainer state is `stateFile`.
   * Call after the trainer is set up, before loading.
   * @throws CheckpointError when the trainer state's `run` field is malformed, or (to resume) its
   * counters contradict each other as no save of the training loop does (see {@link checkStateCounters}).
   */
  static async compare(trainer: Trainer, dir: string, stateFile: TrainerStateFile, purpose: CheckpointLoadPurpose = 'resume'): Promise<ResumeCheck> {
    const shape = checkSavedRunShape(stateFile.run, path.join(dir, TRAINER_STATE_FILE));
    const saved = await readSavedRecipe(dir, trainer.dp.isMain ? trainer.logger : undefined);
    // With the batching recorded, accumulation is judged with the rank count (through the global batch).
    const exempt = shape === undefined ? RESUME_EXEMPT_SETTINGS : [...RESUME_EXEMPT_SETTINGS, 'gradientAccumulationSteps'];
    // Recipe-relative paths (data files, tokenizer) compare as the files they name: the run's
    // recipe.resolved.yaml writes them absolute, a recipe elsewhere relative to its own folder.
    // The saved ones resolve as every loader resolves them (a recipe folder moved since: this one's).
    const savedDir = await savedRecipeDir(stateFile, trainer.context.recipeDir);
    let changes =
      saved === undefined
        ? []
        : diffRecipes(rebaseRecipePaths(saved, savedDir), rebaseRecipePaths(trainer.context.resolvedRecipe, trainer.context.recipeDir), exempt);
    // An evaluation neither trains nor continues the data order: optimizer, schedule and batching do not matter.
    if (purpose === 'evaluate') changes = changes.filter((c) => under(c, EVALUATION_SETTINGS));
    // An evaluation reads no counter; a resume continues from them.
    const counterWarning = purpose === 'resume' ? await counterProblems(trainer, dir, stateFile, shape) : undefined;
    return new ResumeCheck(trainer, dir, stateFile, shape, changes, purpose, counterWarning);
  }

  /** Logs (rank 0) one warning listing the changed settings, and what a changed global batch does; call once loaded. */
  report(): void {
    const t = this.trainer;
    if (!t.dp.isMain) return;
    if (this.changes.length > 0) t.logger.warn(this.changesWarning());
    if (this.purpose === 'evaluate') return;
    if (this.counterWarning !== undefined) t.logger.warn(this.counterWarning);
    const position = this.positionNote();
    if (position !== undefined) t.logger.warn(position);
    const note = this.shape === undefined ? undefined : runShapeNote(this.shape, t, this.stateFile.state, this.stateFile.scheduler?.lastLr);
    if (note !== undefined) t.logger[note.level](note.message);
  }

  /**
   * A saved data position the recipe's run cannot continue from, though a load accepts it: past the
   * recipe's epochs (nothing left to train), or past the end of an epoch's data with no data setting
   * changed (a save caps it at the epoch's length). Said, so the resume is not a silent no-op or skip.
   */
  private positionNote(): string | undefined {
    const s = this.stateFile.state;
    const { epochs } = this.trainer.config;
    const file = path.join(this.dir, TRAINER_STATE_FILE);
    if (s.epochIndex >= epochs) {
      return `the checkpoint is at epoch ${s.epochIndex} (state.epochIndex in ${file}, 0-based), but the recipe trains ${epochs} epoch${epochs === 1 ? '' : 's'} (epochs): nothing is left to train, so the run ends at step ${s.globalStep}. Raise epochs to train further.`;
    }
    const perEpoch = this.trainer.trainBatchesPerEpoch;
    if (s.batchInEpoch <= perEpoch || this.changes.some((c) => under(c, DATA_ORDER_SETTINGS))) return undefined;
    return (
      `the checkpoint is at micro-batch ${s.batchInEpoch} of epoch ${s.epochIndex} (state.batchInEpoch in ${file}), past the end of an epoch of the data (${perEpoch} micro-batches), ` +
      `though no setting that decides the data order changed. A save never records more than its epoch holds, so the data files changed since or the file was edited: the run goes on with epoch ${s.epochIndex + 1}.`
    );
  }

  private changesWarning(): string {
    const n = this.changes.length;
    const lines = this.changes.slice(0, MAX_LISTED).map((c) => `  - ${formatRecipeChange(c)}`);
    if (n > MAX_LISTED) lines.push(`  - and ${n - MAX_LISTED} more`);
    const where = path.relative(process.cwd(), this.dir) || '.';
    const verb = this.purpose === 'evaluate' ? 'evaluating' : 'resuming';
    let text = `${verb} with ${n} setting${n === 1 ? '' : 's'} changed from ${path.join(where, RECIPE_FILE)} (checkpoint's → now):\n${lines.join('\n')}`;
    const s = this.stateFile.state;
    if (this.purpose === 'resume' && s.batchInEpoch > 0 && this.changes.some((c) => under(c, DATA_ORDER_SETTINGS))) {
      const perEpoch = this.trainer.trainBatchesPerEpoch;
      // A smaller dataset can end before the saved position: the rest of that epoch is empty.
      const what =
        s.batchInEpoch >= perEpoch
          ? `is past the end of an epoch of the data now (${perEpoch} micro-batches), so the run goes on with epoch ${s.epochIndex + 1}`
          : 'now points into a different order, so this epoch may repeat some examples and skip others';
      text += `\nseed, microBatchSize, tokenizer and data settings decide the training data's order: the resumed position (epoch ${s.epochIndex}, micro-batch ${s.batchInEpoch}) ${what}.`;
    }
    return text;
  }

  /** `error` from loading the checkpoint's weights, with the recipe's model settings that differ from the checkpoint's. */
  explainWeightsError(error: unknown): unknown {
    if (!(error instanceof CheckpointError)) return error;
    // Changed on purpose (autoResume picked the folder's checkpoint): the new settings are a new run.
    const fix = this.purpose === 'evaluate' ? "Evaluate with the checkpoint's settings." : "Resume with the checkpoint's settings, or train the new ones as a new run in another folder (--set outputDir=...).";
    // Another trainer or model type: the kind of model differs, which says more than its weights' names.
    const kinds = this.changes.filter((c) => c.path === 'type' || c.path === 'model.type');
    if (kinds.length > 0) {
      const what = kinds.map((c) => `${c.path === 'type' ? 'trainer' : 'model'} '${formatRecipeValue(c.saved)}'`).join(', ');
      const asked = kinds.map((c) => `'${formatRecipeValue(c.current)}' (${c.path})`).join(', ');
      return new CheckpointError(`Checkpoint ${this.dir} holds another kind of model: it was written by ${what}, but the recipe asks for ${asked}. ${fix}\n${error.message}`, { cause: error });
    }
    let relevant = this.changes.filter((c) => under(c, ['model']));
    // A model's input and output sizes may follow the tokenizer or the data (vocabulary, features).
    if (relevant.length === 0) relevant = this.changes.filter((c) => under(c, ['tokenizer', 'data']));
    if (relevant.length === 0) return error;
    // LoRA added to a plain model's run: its adapters are new weights, so this is a new run from the checkpoint's weights.
    const loraAdded = this.purpose === 'resume' && relevant.some((c) => isAtOrUnder(c.path, 'model.lora') && c.saved === undefined);
    const how = loraAdded
      ? `To fine-tune this checkpoint with LoRA, start a new run from its weights (new adapters and optimizer state, step 0): model.from: ${this.dir} with model.lora, in another folder (--set outputDir=...), without --resume.`
      : fix;
    return new CheckpointError(`${error.message}. The recipe differs from the checkpoint's: ${relevant.map(contrast).join('; ')}. ${how}`, { cause: error });
  }

  /**
   * `error` from loading optimizer state file `file`, naming the file and the optimizer settings
   * that differ, or, for state its optimizer could not have written, the way out: `older` (the
   * newest checkpoint before this one, if any) or a new run from the weights alone.
   */
  explainOptimizerError(error: unknown, file: string, options: { older?: string } = {}): unknown {
    if (!(error instanceof CheckpointError)) return error;
    // Switching optimizers or damaged state both mean fresh optimizer state: for a GPT, model.from starts a run from the weights alone.
    const fresh = (this.trainer.config.model as { type?: unknown }).type === 'gpt' ? `start a new run from its weights alone (new optimizer state, step 0) with model.from: ${this.dir}` : undefined;
    const type = this.changes.find((c) => c.path === 'optimizer.type');
    // Another optimizer's state (SGD's bare step counts read by Adam) is not damage: say the type changed.
    if (error instanceof OptimizerStateError && type === undefined) {
      const other = options.older === undefined ? 'another checkpoint' : `another checkpoint: the newest before it is ${options.older} (pass that folder to --resume, or move this one out of the folder)`;
      const fix = `The checkpoint is damaged or was edited by hand: resume from ${other}${fresh === undefined ? '' : `; or ${fresh}`}.`;
      return new OptimizerStateError(`Cannot load optimizer state '${file}': ${error.message} ${fix}`, { cause: error });
    }
    const others = this.changes.filter((c) => c !== type && under(c, ['optimizer']));
    let why = '';
    if (type !== undefined) {
      const [was, now] = [formatRecipeValue(type.saved), formatRecipeValue(type.current)];
      why = ` the checkpoint was written by optimizer '${was}' but the recipe asks for '${now}' (optimizer.type), which cannot take its state.`;
    } else if (others.length > 0) {
      why = ` the recipe's optimizer differs from the checkpoint's: ${others.map(contrast).join('; ')}.`;
    }
    const fix = type === undefined ? '' : ` Resume with optimizer.type: ${formatRecipeValue(type.saved)}${fresh === undefined ? '' : `, or ${fresh}`}.`;
    return new CheckpointError(`Cannot load optimizer state '${file}':${why} ${error.message}${fix}`, { cause: error });
  }
}
