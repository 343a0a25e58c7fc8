import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Metrics } from '../callbacks/callback';
import { loadCheckedWeights } from '../checkpoint/checked-load';
import { CheckpointError, ConfigError, FloeError } from '../errors';
import { NORMALIZATION_FILE } from '../data/tabular/normalization-file-name';
import { NormalizationStats, parseNormalizationFile, toNormalizationFile } from '../data/tabular/normalization-stats';
import { Normalizer } from '../data/tabular/normalizer';
import { TabularBatch } from '../data/tabular/tabular-batch';
import { TabularDataConfig, TabularDataFactory, TabularDataLoaders } from '../data/tabular/tabular-data-factory';
import { TabularSchema } from '../data/tabular/tabular-record';
import { DATA_SCHEMA_FILE, parseSchemaFile, toSchemaFile } from '../data/tabular/tabular-schema-file';
import { BinaryCrossEntropyLossFactory } from '../loss/binary-cross-entropy-loss-factory';
import { CrossEntropyLossFactory } from '../loss/cross-entropy-loss-factory';
import { HuberLossFactory } from '../loss/huber-loss-factory';
import { LOSS_KIND, LossConfig, LossFactory, SupervisedLoss } from '../loss/loss-factory';
import { MaeLossFactory } from '../loss/mae-loss-factory';
import { MseLossFactory } from '../loss/mse-loss-factory';
import { LayersModelFactory } from '../model/layers-model-factory';
import { MODEL_TOPOLOGY_FILE } from '../model/layers-model';
import { MlpModelFactory } from '../model/mlp-model-factory';
import { MODEL_KIND, ModelFactory } from '../model/model-factory';
import { SupervisedModel, SupervisedModelHost } from '../model/supervised-model';
import { register } from '../registry/register';
import { buildComponent } from './build-components';
import { checkedLoss } from './checked-loss';
import { InferenceSetup } from './inference-setup';
import { checkFeatureOrder, checkNormalizationColumns, checkNormalizationKept } from './supervised-restore-checks';
import { metricsFromSums, metricSums, metricSumsLength } from './supervised-metrics';
import { FactoryList, Trainer } from './trainer';
import { TrainerConfig } from './trainer-config';
import { TrainingResult } from './training-result';

/** Files a supervised checkpoint may hold besides weights and trainer state. */
export const SUPERVISED_CHECKPOINT_FILES = [NORMALIZATION_FILE, DATA_SCHEMA_FILE, MODEL_TOPOLOGY_FILE] as const;

/** Recipe of the `supervised` trainer: the usual sections plus `loss:`. */
export class SupervisedTrainerConfig extends TrainerConfig {
  /** Loss factory config (`loss:`; default `mse`). */
  loss!: LossConfig;
}

/**
 * Supervised learning on tabular rows: feature tensors → target tensors, for regression,
 * classification and imitation-style policies. Declares its own factory kind, `lossFactoryType`
 * (recipe section `loss:`). Features (and regression targets) are standardized here in the
 * loop with the data's train-split stats — not inside the model — and the stats are saved with
 * every checkpoint (`normalization.json`) so inference applies exactly the same transform.
 */
@register()
export class SupervisedTrainer extends Trainer<TabularBatch> implements SupervisedModelHost, InferenceSetup {
  static override readonly type: string = 'supervised';
  static override readonly configType = SupervisedTrainerConfig;
  static override readonly dataFactoryType: FactoryList = [TabularDataFactory];
  static override readonly modelFactoryType: FactoryList = [MlpModelFactory, LayersModelFactory];
  /** Allowed loss factories, default first. */
  static readonly lossFactoryType: FactoryList = [MseLossFactory, MaeLossFactory, HuberLossFactory, CrossEntropyLossFactory, BinaryCrossEntropyLossFactory];

  /** The loss being minimized (built from the `loss:` section). */
  supervisedLoss!: SupervisedLoss;
  /** Normalization in use: feature stats, and target stats for regression. */
  normalization: NormalizationStats = {};
  /** Extra files of a checkpoint loaded for inference or resume. */
  restoredCheckpointFiles?: Record<string, unknown>;
  private restoredSchema?: TabularSchema;
  private featureNormalizer?: Normalizer;
  private targetNormalizer?: Normalizer;

  /** Columns and classes of the data (from the data factory, or from a checkpoint for inference). */
  get schema(): TabularSchema {
    const schema = this.restoredSchema ?? (this.dataLoaders as TabularDataLoaders | undefined)?.schema;
    if (schema === undefined) throw new FloeError('SupervisedTrainer: no data schema yet; call setup() or setupForInference() first');
    return schema;
  }

  /** The model as a {@link SupervisedModel}. */
  get supervisedModel(): SupervisedModel {
    return this.model as SupervisedModel;
  }

  get modelInputSize(): number {
    return this.schema.featureNames.length;
  }

  /** Classes for a label column (1 for a binary label), else one output per target column. */
  get modelOutputSize(): number {
    this.checkLossFitsData();
    const s = this.schema;
    if (s.targetKind === 'class-id') return this.supervisedLoss.task === 'binary' ? 1 : (s.numClasses as number);
    return s.targetNames.length;
  }

  /** What {@link setupForInference} reads: schema, normalization and (for `layers` models) topology. */
  readonly inferenceFiles: readonly string[] = SUPERVISED_CHECKPOINT_FILES;

  override async setup(): Promise<void> {
    this.buildLoss();
    await super.setup();
    const stats = (this.dataLoaders as TabularDataLoaders).stats;
    this.setNormalization({ features: stats.features, targets: this.supervisedLoss.task === 'regression' ? stats.targets : undefined });
  }

  /**
   * Prepares for prediction from a checkpoint folder: schema, normalization and (for `layers`
   * models) topology from its extra files, then the model with its saved weights. No data is read.
   */
  async setupForInference(dir: string, files: Record<string, unknown>): Promise<void> {
    this.buildLoss();
    // On failure nothing stays allocated: no model, no normalization tensors.
    try {
      this.restoreInferenceFiles(dir, files);
      if (this.restoredSchema === undefined) throw new FloeError(`${dir} has no ${DATA_SCHEMA_FILE}; it was not written by a supervised trainer`);
      this.checkNormalizationRestored(dir, this.restoredSchema);
      const model = await buildComponent<ModelFactory>(this, MODEL_KIND).createModel();
      try {
        // Shape, dtype and finiteness checked as a resume checks them.
        await loadCheckedWeights(model.params, dir);
      } catch (error) {
        model.dispose();
        throw error;
      }
      this.model = model;
    } catch (error) {
      this.disposeNormalizers();
      throw error;
    }
  }

  /** {@link restoreExtraCheckpointFiles}, its errors naming checkpoint `dir` (its checks name the files only, as for a resume). */
  private restoreInferenceFiles(dir: string, files: Record<string, unknown>): void {
    try {
      this.restoreExtraCheckpointFiles(files);
    } catch (error) {
      if (error instanceof FloeError) throw new CheckpointError(`Checkpoint '${dir}': ${error.message}`, { cause: error });
      throw error;
    }
  }

  loss(batch: TabularBatch): tf.Scalar {
    return this.supervisedLoss.compute(this.forward(batch.features, this.isTraining), this.lossTargets(batch.targets));
  }

  /** Model outputs for raw feature rows: normalizes them, then runs the model (normalized units for regression). */
  forward(features: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      const x = this.featureNormalizer === undefined ? features : this.featureNormalizer.normalize(features);
      return this.supervisedModel.predict(x, { training, dropoutSeed: training ? this.rng.int(2 ** 31) : undefined });
    });
  }

  /** Predictions in the targets' own units: model outputs with regression normalization undone. */
  predictRaw(features: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const out = this.forward(features, false);
      return this.targetNormalizer === undefined ? out : this.targetNormalizer.denormalize(out);
    });
  }

  /** Each row counts once in the gradient average, so a short last batch weighs less. */
  override batchWeight(batch: TabularBatch): number {
    return batch.numSamples;
  }

  /** `eval/loss` plus `eval/accuracy` (classification) or `eval/mae` and `eval/rmse` (regression, original units). */
  override async evaluate(): Promise<Metrics> {
    if (this.evalLoader === undefined) return {};
    const losses: tf.Scalar[] = [];
    const sums: tf.Tensor1D[] = [];
    const weights: number[] = [];
    try {
      let n = 0;
      for await (const batch of this.evalLoader.batches(0)) {
        try {
          losses.push(tf.tidy(() => checkedLoss(this, batch, () => `eval batch ${losses.length + 1}`)));
          sums.push(tf.tidy(() => metricSums(this.supervisedLoss, this.predictRaw(batch.features), batch.targets)));
          weights.push(batch.numSamples);
        } finally {
          tf.dispose(batch as unknown as tf.TensorContainer);
        }
        if (this.config.evalMaxBatches !== undefined && ++n >= this.config.evalMaxBatches) break;
      }
      const [lossValues, sumValues] = await Promise.all([Promise.all(losses.map((l) => l.data())), Promise.all(sums.map((s) => s.data()))]);
      const local = new Array<number>(2 + metricSumsLength(this.supervisedLoss)).fill(0);
      lossValues.forEach((v, i) => {
        local[0] += v[0] * weights[i];
        local[1] += weights[i];
        sumValues[i].forEach((x, j) => (local[2 + j] += x));
      });
      // Data parallel, each rank evaluated its shard (possibly none): summing the raw sums over
      // ranks gives exactly the single-process figures, RMSE included.
      const [lossSum, total, ...summed] = await this.dp.sum(local);
      if (total === 0) return {};
      return { 'eval/loss': lossSum / total, ...metricsFromSums(this.supervisedLoss, summed) };
    } finally {
      tf.dispose([...losses, ...sums]);
    }
  }

  override async train(): Promise<TrainingResult> {
    try {
      return await super.train();
    } finally {
      this.disposeNormalizers();
    }
  }

  /** `normalization.json`, `data-schema.json` and, for `layers` models, `model-topology.json`. */
  override extraCheckpointFiles(): Record<string, unknown> {
    return {
      [NORMALIZATION_FILE]: toNormalizationFile(this.normalization),
      [DATA_SCHEMA_FILE]: toSchemaFile(this.schema),
      ...(this.supervisedModel?.checkpointFiles?.() ?? {}),
    };
  }

  /** Takes normalization and schema from a checkpoint, so a resumed or served model sees the same transform. */
  override restoreExtraCheckpointFiles(files: Record<string, unknown>): void {
    this.restoredCheckpointFiles = files;
    const saved = files[DATA_SCHEMA_FILE] === undefined ? undefined : parseSchemaFile(files[DATA_SCHEMA_FILE], DATA_SCHEMA_FILE);
    if (saved !== undefined) {
      const current = this.restoredSchema ?? (this.dataLoaders as TabularDataLoaders | undefined)?.schema;
      if (current !== undefined) checkFeatureOrder(saved.featureNames, current.featureNames);
      if (current === undefined) this.restoredSchema = saved;
    }
    if (files[NORMALIZATION_FILE] !== undefined) {
      const stats = parseNormalizationFile(files[NORMALIZATION_FILE], NORMALIZATION_FILE);
      // The saved stats name the saved columns (a resume may have renamed them in place).
      if (saved !== undefined) checkNormalizationColumns(stats, saved);
      checkNormalizationKept(stats, this.normalization);
      this.setNormalization(stats);
    }
  }

  /** Replaces the normalization in use (and its tensors). */
  setNormalization(stats: NormalizationStats): void {
    this.disposeNormalizers();
    this.normalization = stats;
    this.featureNormalizer = stats.features === undefined ? undefined : new Normalizer(stats.features);
    this.targetNormalizer = stats.targets === undefined ? undefined : new Normalizer(stats.targets);
  }

  /** Frees what {@link setupForInference} allocated besides the model: the normalization tensors. */
  disposeInference(): void {
    this.disposeNormalizers();
  }

  /** Frees the normalization tensors. */
  disposeNormalizers(): void {
    this.featureNormalizer?.dispose();
    this.targetNormalizer?.dispose();
    this.featureNormalizer = undefined;
    this.targetNormalizer = undefined;
  }

  /** Fails when the recipe standardized features or targets but the checkpoint lacks their stats: predictions would silently be in standardized units. */
  private checkNormalizationRestored(dir: string, schema: TabularSchema): void {
    const data = this.config.data as TabularDataConfig;
    const missing = [
      ...(data.normalizeFeatures && this.normalization.features === undefined ? ['features (data.normalizeFeatures)'] : []),
      ...(data.normalizeTargets && this.supervisedLoss.task === 'regression' && schema.targetKind === 'values' && this.normalization.targets === undefined ? ['targets (data.normalizeTargets)'] : []),
    ];
    if (missing.length === 0) return;
    const file = path.join(dir, NORMALIZATION_FILE);
    const what = this.restoredCheckpointFiles?.[NORMALIZATION_FILE] === undefined ? 'is missing' : `has no stats for the ${missing.join(' or ')}`;
    throw new CheckpointError(
      `${file} ${what}, but the checkpoint's recipe standardizes the ${missing.join(' and ')}: without the stats the model's inputs and outputs would be in the wrong units. Use a complete checkpoint of the run.`,
    );
  }

  private buildLoss(): void {
    const factory = buildComponent<LossFactory>(this, LOSS_KIND);
    this.factories.set('loss', factory);
    this.supervisedLoss = factory.createLoss();
  }

  /** Targets as the loss wants them: normalized for regression, `[N, 1]` floats for a binary label. */
  private lossTargets(targets: tf.Tensor): tf.Tensor {
    if (this.supervisedLoss.task === 'regression') return this.targetNormalizer === undefined ? targets : this.targetNormalizer.normalize(targets as tf.Tensor2D);
    if (this.supervisedLoss.task === 'binary' && targets.rank === 1) return tf.cast(tf.reshape(targets, [targets.shape[0], 1]), 'float32');
    return targets;
  }

  /** The loss must suit the targets: numbers for regression, labels or one-hot columns for classification. */
  private checkLossFitsData(): void {
    const s = this.schema;
    const type = (this.config as SupervisedTrainerConfig).loss.type;
    const label = `label column '${s.targetNames[0]}'`;
    let problem: string | undefined;
    if (this.supervisedLoss.task === 'regression' && s.targetKind === 'class-id') {
      problem = `loss '${type}' fits numbers, but the data has a ${label} (class ids); use loss cross-entropy, or name numeric columns under targets`;
    } else if (this.supervisedLoss.task === 'binary' && s.targetKind === 'class-id' && (s.numClasses as number) > 2) {
      problem = `loss '${type}' needs 0/1 labels, but ${label} has ${s.numClasses} classes; use loss cross-entropy`;
    } else if (this.supervisedLoss.task === 'classification' && s.targetKind === 'values' && s.targetNames.length < 2) {
      problem = `loss '${type}' needs a label column or one-hot targets (2+ columns), but the data has one target column '${s.targetNames[0]}'; use 'label: ${s.targetNames[0]}' in the source, or loss binary-cross-entropy for 0/1 values`;
    }
    if (problem !== undefined) throw new ConfigError([{ path: 'loss.type', message: problem }]);
  }
}
