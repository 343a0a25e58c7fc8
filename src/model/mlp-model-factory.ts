import { IsArray, IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';
import { ConfigRule, recipeOf } from '../config/config-rule';
import { register } from '../registry/register';
import { Rng } from '../random';
import { MLP_ACTIVATIONS, MLP_OUTPUT_ACTIVATIONS, MlpActivation, MlpModel, MlpOutputActivation } from './mlp-model';
import { ModelConfig, ModelFactory } from './model-factory';
import { activationMismatch, activationMismatchMessage, LossSection } from './output-activation-rule';
import { supervisedHost } from './supervised-model';

/** The output activation must match what the loss reads (see {@link activationMismatch}). */
function outputActivationProblem(c: MlpConfig): string | undefined {
  const mismatch = activationMismatch(c.outputActivation, recipeOf<{ loss: LossSection }>(c)?.loss);
  return mismatch === undefined ? undefined : `is '${c.outputActivation}' ${activationMismatchMessage(mismatch, 'outputActivation')}`;
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
