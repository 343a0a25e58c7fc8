import { IsArray, IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';
import { ConfigRule, recipeOf } from '../config/config-rule';
import { register } from '../registry/register';
import { Rng } from '../random';
import { MLP_ACTIVATIONS, MLP_OUTPUT_ACTIVATIONS, MlpActivation, MlpModel, MlpOutputActivation } from './mlp-model';
import { ModelConfig, ModelFactory } from './model-factory';
import { supervisedHost } from './supervised-model';

/** The built-in losses that can take logits (`fromLogits`), and the activation their probabilities come from. */
const LOGIT_LOSSES: Record<string, 'softmax' | 'sigmoid'> = { 'cross-entropy': 'softmax', 'binary-cross-entropy': 'sigmoid' };

/**
 * The output activation must match what the loss reads: a softmax (or sigmoid) output fed to a
 * loss that applies one itself squashes twice — training stalls and `floe predict` reports
 * probabilities of probabilities — and raw outputs read as probabilities give log(≤ 0).
 */
function outputActivationProblem(c: MlpConfig): string | undefined {
  const loss = recipeOf<{ loss: { type?: unknown; fromLogits?: unknown } }>(c)?.loss;
  const squash = typeof loss?.type === 'string' ? LOGIT_LOSSES[loss.type] : undefined;
  if (squash === undefined || typeof loss?.fromLogits !== 'boolean') return undefined;
  if (loss.fromLogits && c.outputActivation !== 'linear') {
    return `is '${c.outputActivation}' but loss ${loss.type} takes logits and applies the ${squash} itself (loss.fromLogits: true): use outputActivation: linear, or set loss.fromLogits: false with outputActivation: ${squash}`;
  }
  if (!loss.fromLogits && c.outputActivation !== squash) {
    return `is '${c.outputActivation}' but loss ${loss.type} with loss.fromLogits: false reads probabilities: use outputActivation: ${squash}, or leave loss.fromLogits at true with outputActivation: linear`;
  }
  return undefined;
}

/** Config of the `mlp` model; input and output widths come from the data and the loss. */
export class MlpConfig extends ModelConfig {
  /** Width of each hidden layer, in order (`[]` makes a linear model). */
  @IsArray()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(65_536, { each: true })
  hidden: number[] = [64, 64];

  /** Hidden-layer activation: relu, tanh, sigmoid, gelu, silu, elu or linear. */
  @IsIn(MLP_ACTIVATIONS as unknown as string[])
  activation: MlpActivation = 'relu';

  /** Dropout rate after each hidden activation, during training only. */
  @IsNumber()
  @Min(0)
  @Max(0.9)
  dropout = 0;

  /** Output activation: `linear` (regression values, or logits for the cross-entropy losses), sigmoid, softmax or tanh. */
  @IsIn(MLP_OUTPUT_ACTIVATIONS as unknown as string[])
  @ConfigRule('matchesLoss', outputActivationProblem, { wholeRecipe: true })
  outputActivation: MlpOutputActivation = 'linear';
}

/** Builds an {@link MlpModel} sized to the data, initialised from the recipe's seed. */
@register()
export class MlpModelFactory extends ModelFactory<MlpConfig, MlpModel> {
  static override readonly type: string = 'mlp';
  static override readonly configType = MlpConfig;

  async createModel(): Promise<MlpModel> {
    const host = supervisedHost(this.trainer, 'mlp');
    const c = this.config;
    return new MlpModel(
      { inputSize: host.modelInputSize, outputSize: host.modelOutputSize, hidden: c.hidden, activation: c.activation, dropout: c.dropout, outputActivation: c.outputActivation },
      new Rng(this.trainer.config.seed).fork('model'),
    );
  }
}
