import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsPositive, Max, Min } from 'class-validator';
import { HumanNumber, IsCount } from '../config/human-number';
import { ConfigError } from '../errors';
import { register } from '../registry/register';
import { Rng } from '../random';
import { GptModel } from './gpt-model';
import { ModelConfig, ModelFactory } from './model-factory';

/** Config of the `gpt` model: a decoder-only transformer (GPT-2 / Llama style). */
export class GptConfig extends ModelConfig {
  /** Transformer blocks. */
  @IsInt()
  @Min(1)
  layers = 2;

  /** Attention heads per block (must divide dim). */
  @IsInt()
  @Min(1)
  heads = 4;

  /** Model width. */
  @HumanNumber()
  @IsCount({ min: 1 })
  dim = 128;

  /** MLP hidden width (default 4 × dim). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  ffnDim?: number;

  /** Vocabulary size (default: the tokenizer's). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 2 })
  vocabSize?: number;

  /** Longest sequence the model accepts (at least the data's maxLength). */
  @HumanNumber()
  @IsCount({ min: 2 })
  maxLength = 256;

  /** Dropout on embeddings, attention and residual branches. */
  @IsNumber()
  @Min(0)
  @Max(0.9)
  dropout = 0;

  /** Normalisation: `layernorm` (GPT-2) or `rmsnorm` (Llama). */
  @IsIn(['layernorm', 'rmsnorm'])
  norm: 'layernorm' | 'rmsnorm' = 'layernorm';

  /** Positions: `learned` table (GPT-2) or `rope` (Llama). */
  @IsIn(['learned', 'rope'])
  position: 'learned' | 'rope' = 'learned';

  /** MLP activation: `gelu` (GPT-2) or `swiglu` (Llama). */
  @IsIn(['gelu', 'swiglu'])
  activation: 'gelu' | 'swiglu' = 'gelu';

  /** Share the token embedding with the output layer. */
  @IsBoolean()
  tieEmbeddings = true;

  /** Biases in linear layers (GPT-2 has them, Llama does not). */
  @IsBoolean()
  bias = true;

  /** Standard deviation of the weight init. */
  @IsPositive()
  initStd = 0.02;
}

/** Builds a {@link GptModel}, initialised from the recipe's seed. */
@register()
export class GptModelFactory extends ModelFactory<GptConfig, GptModel> {
  static override readonly type = 'gpt';
  static override readonly configType = GptConfig;

  async createModel(): Promise<GptModel> {
    const c = this.config;
    const dataMaxLength = (this.trainer.config.data as { maxLength?: number }).maxLength;
    if (dataMaxLength !== undefined && dataMaxLength > c.maxLength) {
      throw new ConfigError([{ path: 'model.maxLength', message: `is ${c.maxLength} but data.maxLength is ${dataMaxLength}; the model must accept the longest training row` }]);
    }
    if (c.dim % c.heads !== 0) {
      throw new ConfigError([{ path: 'model.heads', message: `${c.heads} heads do not divide dim ${c.dim}` }]);
    }
    return new GptModel(
      {
        vocabSize: c.vocabSize ?? this.trainer.tokenizer.vocabSize,
        maxLength: c.maxLength,
        layers: c.layers,
        heads: c.heads,
        dim: c.dim,
        ffnDim: c.ffnDim,
        dropout: c.dropout,
        norm: c.norm,
        position: c.position,
        activation: c.activation,
        tieEmbeddings: c.tieEmbeddings,
        bias: c.bias,
        initStd: c.initStd,
      },
      new Rng(this.trainer.config.seed).fork('model'),
    );
  }
}
