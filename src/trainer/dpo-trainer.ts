import * as tf from '@tensorflow/tfjs';
import { IsIn, IsNumber, IsPositive } from 'class-validator';
import { Metrics } from '../callbacks/callback';
import { ConfigRule } from '../config/config-rule';
import { DpoDataFactory } from '../data/dpo-data-factory';
import { PreferenceBatch } from '../data/pair-batch-iterator';
import { GptModel } from '../model/gpt-model';
import { GptModelFactory } from '../model/gpt-model-factory';
import { PENDING_RESUME } from '../checkpoint/pending-resume';
import { TrainingError } from '../errors';
import { register } from '../registry/register';
import { DPO_LOSS_TYPES, DpoLossResult, DpoLossType, dpoLoss, rewardMetrics, sequenceLogps } from './dpo-loss';
import { LanguageModelTrainer } from './lm-trainer';
import { ReferenceModel } from './reference-model';
import { TrainerConfig } from './trainer-config';
import { TrainerMemoryNeeds } from './trainer-memory-needs';
import { TrainingResult } from './training-result';

/** Checkpoint file recording which initial weights a run without LoRA took as its reference (their hash), checked on resume. */
export const DPO_REFERENCE_FILE = 'dpo-reference.json';

/** Recipe of the `dpo` trainer: the usual sections plus the DPO loss settings. */
export class DpoTrainerConfig extends TrainerConfig {
  /** Strength of the pull towards the reference model (β of the implicit reward β·log πθ/πref); higher stays closer. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive({ message: 'beta must be a number > 0 (typical 0.1 to 0.5): the scale of the implicit reward β·(log πθ − log πref)' })
  beta = 0.1;

  /** cDPO label smoothing: the assumed chance that a pair's preference is flipped, in [0, 0.5); 0 is plain DPO (sigmoid loss only). */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @ConfigRule('labelSmoothing', (c: DpoTrainerConfig) => (typeof c.labelSmoothing === 'number' && !(c.labelSmoothing >= 0 && c.labelSmoothing < 0.5) ? `must be in [0, 0.5) (the chance a preference label is wrong), got ${c.labelSmoothing}` : undefined))
  labelSmoothing = 0;

  /** Loss: `sigmoid` (DPO, −log σ(β·h)) or `ipo` ((h − 1/(2β))² on length-averaged log-probs). */
  @IsIn(DPO_LOSS_TYPES as unknown as string[])
  lossType: DpoLossType = 'sigmoid';
}

/**
 * Direct preference optimization (DPO, as TRL and ArcticTraining run it): for each pair the
 * policy learns to rank the chosen response above the rejected one by more than a frozen
 * reference model does. Sequence log-probs are summed over response tokens only. The reference
 * is the model with its LoRA adapters off, or a copy of the initial weights (see
 * {@link ReferenceModel}); its log-probs are computed per batch outside the gradient tape.
 * Logs `rewards/chosen`, `rewards/rejected`, `rewards/accuracy` and `rewards/margin` beside the loss.
 */
@register()
export class DPOTrainer extends LanguageModelTrainer {
  static override readonly type: string = 'dpo';
  static override readonly configType = DpoTrainerConfig;
  static override readonly dataFactoryType = [DpoDataFactory];
  static override readonly modelFactoryType = [GptModelFactory];

  /** The frozen reference policy (built in `setup()`, from the weights training starts from). */
  reference!: ReferenceModel;
  /** SHA-256 of the reference copy's weights (no LoRA), saved in {@link DPO_REFERENCE_FILE}. */
  referenceHash?: string;
  /** Reward sums of the open accumulation cycle's micro-batches, with their pair counts. */
  private cycleRewards: Array<{ sums: tf.Tensor1D; pairs: number }> = [];
  /** Reward sums of the log window's completed steps. */
  private windowRewards: Array<{ sums: tf.Tensor1D; pairs: number }> = [];

  /** The DPO settings. */
  get dpoConfig(): DpoTrainerConfig {
    return this.config as DpoTrainerConfig;
  }

  /** A micro-batch of B pairs runs 2B rows, the reference's forward (no tape) before the policy's, and without LoRA a copy of the weights. */
  static override memoryNeeds(config: TrainerConfig): TrainerMemoryNeeds {
    const lora = (config.model as { lora?: unknown } | undefined)?.lora !== undefined;
    return {
      rowsPerSample: { factor: 2, note: "2 per pair: dpo's chosen and rejected rows" },
      frozenForward: "dpo's reference",
      weightCopy: lora ? undefined : { label: "dpo's reference model (a frozen copy of the initial weights)", advice: "Add model.lora: it makes dpo's reference model free (the base weights with the adapters off serve as it, no copy)" },
    };
  }

  override async setup(): Promise<void> {
    await super.setup();
    this.reference = new ReferenceModel(this.gpt, await this.initialWeights());
    this.referenceHash = await this.reference.weightsHash();
    if (!this.reference.sharesWeights) this.logger.info('dpo: the reference model is a frozen copy of the initial weights (weight memory doubles; with model.lora the base model serves instead)');
  }

  /**
   * The reference's initial weights, when the policy was not built from them. An evaluation builds
   * its model from the run's source before loading the checkpoint, so the copy is right there.
   * A resumed model was built from the checkpoint's trained weights: without adapters the initial
   * ones, the reference, are built again from the run's source (`model.from`, or the seed's init);
   * the resume checks them against the hash the checkpoint recorded. With LoRA the base is the reference.
   */
  private async initialWeights(): Promise<GptModel | undefined> {
    if (this.gpt.lora !== undefined || this.context.inference === true || !this.context.container.isRegistered(PENDING_RESUME)) return undefined;
    const factory = this.factories.get('model');
    if (factory instanceof GptModelFactory) return factory.createInitialModel();
    throw new TrainingError(`dpo without model.lora cannot resume with model type '${this.config.model.type}': its reference model is the initial weights, which the checkpoint does not hold and only the gpt factory rebuilds. Start over (--set overwriteOutputDir=true), or train with model.lora, whose reference is the frozen base model`);
  }

  /** Adds {@link DPO_REFERENCE_FILE} (without LoRA): the reference's hash and what rebuilds it. */
  override extraCheckpointFiles(): Record<string, unknown> {
    const files = super.extraCheckpointFiles();
    if (this.referenceHash === undefined) return files;
    return { ...files, [DPO_REFERENCE_FILE]: { weightsSha256: this.referenceHash, source: this.referenceSource() } };
  }

  /** Refuses a resume or evaluation whose rebuilt reference differs from the one the run started with. */
  override restoreExtraCheckpointFiles(files: Record<string, unknown>): void {
    super.restoreExtraCheckpointFiles(files);
    const saved = files[DPO_REFERENCE_FILE] as { weightsSha256?: unknown; source?: unknown } | undefined;
    if (saved === undefined || this.referenceHash === undefined || saved.weightsSha256 === this.referenceHash) return;
    const mismatch =
      `${DPO_REFERENCE_FILE}: dpo's reference model, the run's initial weights rebuilt from ${this.referenceSource()}, is not the one the run started with ` +
      `(weights sha256 ${this.referenceHash.slice(0, 12)}…, the checkpoint recorded ${String(saved.weightsSha256).slice(0, 12)}… from ${String(saved.source)})`;
    const fix = "Restore model.from's files (or the seed) the run started with";
    // Generate and export never use the reference, and an evaluation can still run: said, not refused.
    if (this.context.inference === true) {
      this.logger.warn(`${mismatch}: the DPO rewards and loss of an evaluation measure against another model. ${fix} for the run's figures`);
      return;
    }
    throw new TrainingError(`${mismatch}; the rewards and loss would measure against another model. ${fix}, start over (--set overwriteOutputDir=true), or train with model.lora, whose reference is in the checkpoint`);
  }

  /** Where the initial weights come from, for messages. */
  private referenceSource(): string {
    const from = (this.config.model as { from?: unknown }).from;
    return typeof from === 'string' ? `model.from ${from}` : `the seed's init (seed ${this.config.seed})`;
  }

  /** A batch weighs its pairs: gradient and eval averages are means over pairs, as one big batch. */
  override batchWeight(batch: PreferenceBatch): number {
    return batch.numPairs;
  }

  /** Reference log-probs `[2B]` of a batch, outside any gradient tape. */
  referenceLogps(batch: PreferenceBatch): tf.Tensor1D {
    return tf.tidy(() => sequenceLogps(this.reference.logits(batch), batch.labels, batch.lossMask, { average: this.dpoConfig.lossType === 'ipo' }));
  }

  override step(batch: PreferenceBatch): Promise<void> {
    // Computed here, not in loss(): loss() runs under the gradient tape. The batch owns it (disposed with it).
    if (batch.referenceLogps === undefined) batch.referenceLogps = this.referenceLogps(batch);
    return super.step(batch);
  }

  /** Mean DPO loss over the batch's pairs (in training, its reward sums are kept for the log). */
  loss(batch: PreferenceBatch): tf.Scalar {
    const { loss, sums } = this.dpo(batch);
    if (this.isTraining) this.cycleRewards.push({ sums: tf.keep(sums), pairs: batch.numPairs });
    else sums.dispose();
    return loss;
  }

  /** The loss and reward sums of a batch; the caller owns both. */
  dpo(batch: PreferenceBatch): DpoLossResult {
    const c = this.dpoConfig;
    return tf.tidy(() => {
      // A batch step() did not see (a direct call) gets its reference here: its weights are never trainable, so no gradient reaches them.
      const reference = batch.referenceLogps ?? this.referenceLogps(batch);
      const policy = sequenceLogps(this.logits(batch), batch.labels, batch.lossMask, { average: c.lossType === 'ipo' });
      const { loss, sums } = dpoLoss(policy, reference, { beta: c.beta, labelSmoothing: c.labelSmoothing, lossType: c.lossType });
      return { loss, sums };
    });
  }

  protected override async optimizerStep(): Promise<void> {
    // The cycle completes: its rewards join the log window (a dropped cycle's never do).
    this.windowRewards.push(...this.cycleRewards);
    this.cycleRewards = [];
    await super.optimizerStep();
  }

  /** The window's reward means over every rank's pairs (exact: raw sums are added across ranks). */
  override async trainLogMetrics(): Promise<Metrics> {
    const window = this.windowRewards;
    this.windowRewards = [];
    try {
      const values = await Promise.all(window.map((w) => w.sums.data()));
      const local = [0, 0, 0, window.reduce((n, w) => n + w.pairs, 0)];
      for (const v of values) for (let k = 0; k < 3; k++) local[k] += v[k];
      const [chosen, rejected, correct, pairs] = await this.dp.sum(local);
      return rewardMetrics([chosen, rejected, correct], pairs);
    } finally {
      tf.dispose(window.map((w) => w.sums));
    }
  }

  /** `eval/loss` (mean over pairs) and the eval rewards, summed over ranks before dividing. */
  override async evaluate(): Promise<Metrics> {
    if (this.evalLoader === undefined) return {};
    const parts: tf.Tensor1D[] = [];
    let pairs = 0;
    try {
      for await (const batch of this.evalLoader.batches(0) as AsyncIterable<PreferenceBatch> | Iterable<PreferenceBatch>) {
        try {
          batch.referenceLogps = this.referenceLogps(batch);
          parts.push(tf.tidy(() => {
            const { loss, sums } = this.dpo(batch);
            return tf.concat([tf.reshape(tf.mul(loss, batch.numPairs), [1]), sums]) as tf.Tensor1D;
          }));
          pairs += batch.numPairs;
        } finally {
          tf.dispose(batch as unknown as tf.TensorContainer);
        }
        if (this.config.evalMaxBatches !== undefined && parts.length >= this.config.evalMaxBatches) break;
      }
      const values = await Promise.all(parts.map((p) => p.data()));
      const local = [0, 0, 0, 0, pairs];
      for (const v of values) for (let k = 0; k < 4; k++) local[k] += v[k];
      const [lossSum, chosen, rejected, correct, total] = await this.dp.sum(local);
      return total === 0 ? {} : { 'eval/loss': lossSum / total, ...rewardMetrics([chosen, rejected, correct], total, 'eval/') };
    } finally {
      tf.dispose(parts);
    }
  }

  override async train(): Promise<TrainingResult> {
    try {
      return await super.train();
    } finally {
      this.disposeOwnTensors();
    }
  }

  /** The reference's copy and pending reward sums (the run disposes the model); also after an evaluation or a refused resume. */
  override disposeOwnTensors(): void {
    super.disposeOwnTensors();
    this.reference?.dispose();
    tf.dispose([...this.cycleRewards, ...this.windowRewards].map((w) => w.sums));
    this.cycleRewards = [];
    this.windowRewards = [];
  }
}
