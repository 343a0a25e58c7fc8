import * as path from 'path';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsPositive, Max, Min, ValidateNested } from 'class-validator';
import { CHECKED_GPT_SOURCE, GptArchitecture, GptSource } from '../checkpoint/import/gpt-source';
import { mergeGptArchitecture } from '../checkpoint/import/merge-gpt-architecture';
import { openGptSource } from '../checkpoint/import/open-gpt-source';
import { ConfigRule } from '../config/config-rule';
import { HumanNumber, IsCount } from '../config/human-number';
import { ConfigError, FloeError } from '../errors';
import { register } from '../registry/register';
import { Rng } from '../random';
import { GptModel } from './gpt-model';
import { LoraConfig } from './lora-config';
import { RopeScaling, RopeScalingConfig } from './rope-scaling-config';
import { resolveLoraOptions } from './lora';
import { checkTrainerGptMemory } from './gpt-run-memory-check';
import { atRecipePaths } from './at-recipe-paths';
import { buildGptFromSource, checkSourceTokenizer } from './gpt-from-source';
import { GptOptions, ResolvedGptOptions, resolveGptOptions } from './gpt-options';
import { ModelConfig, ModelFactory } from './model-factory';
import { IsPath } from '../config/is-path';
import { GPT_LIMITS } from './gpt-limits';
import { headDimProblem, headsProblem, kvHeadsProblem, maxLengthProblem, ropeOnlyProblem, ropeScalingOnlyProblem, slidingWindowFitsProblem, slidingWindowPairProblem } from './gpt-config-rules';
import { PENDING_RESUME, PendingResume } from '../checkpoint/pending-resume';

/** Config of the `gpt` model: a decoder-only transformer (GPT-2 / Llama style). */
export class GptConfig extends ModelConfig {
  /** Transformer blocks. */
  @IsInt()
  @Min(1)
  @Max(GPT_LIMITS.layers)
  layers = 2;

  /** Attention heads per block (must divide dim; with `rope`, into an even head size). */
  @IsInt()
  @Min(1)
  @Max(GPT_LIMITS.heads)
  @ConfigRule('headsDivideDim', headsProblem)
  heads = 4;

  /**
   * Key/value heads per block for grouped-query attention (Llama's `num_key_value_heads`); must
   * divide heads (default: heads, one per query head).
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(GPT_LIMITS.heads)
  @ConfigRule('kvHeadsDivideHeads', kvHeadsProblem)
  kvHeads?: number;

  /**
   * Width of one attention head (HF's `head_dim`; default dim / heads): q is heads × headDim wide,
   * k and v kvHeads × headDim, and heads need not divide dim. Even with `rope`.
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(GPT_LIMITS.dim)
  @ConfigRule('headDimEvenWithRope', headDimProblem)
  headDim?: number;

  /** RMSNorm over each query and key head before RoPE (Qwen3's q_norm / k_norm). */
  @IsBoolean()
  qkNorm = false;

  /** Model width. */
  @HumanNumber()
  @IsCount({ min: 1, max: GPT_LIMITS.dim })
  dim = 128;

  /** MLP hidden width (default 4 × dim). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1, max: GPT_LIMITS.ffnDim })
  ffnDim?: number;

  /** Vocabulary size, at least the tokenizer's id count (default: the tokenizer's). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 2, max: GPT_LIMITS.vocabSize })
  vocabSize?: number;

  /** Longest sequence the model accepts (at least the data's maxLength). */
  @HumanNumber()
  @IsCount({ min: 2, max: GPT_LIMITS.maxLength })
  @ConfigRule('fitsDataLength', maxLengthProblem, { wholeRecipe: true })
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

  /** RoPE base frequency (default 10000; Llama 3 uses 500000); with `position: rope` only. */
  @IsOptional()
  @IsNumber()
  @IsPositive()
  @ConfigRule('ropeOnly', ropeOnlyProblem)
  ropeTheta?: number;

  /**
   * RoPE frequency scaling (HF's `rope_scaling`), `{ type: llama3 | linear | yarn | dynamic,
   * factor, ... }` with the settings of its type; with `position: rope` only.
   */
  @IsOptional()
  @ValidateNested({ message: 'must be a mapping { type: llama3 | linear | yarn | dynamic, factor, ... }' })
  @Type(() => RopeScalingConfig)
  @ConfigRule('ropeScalingOnly', ropeScalingOnlyProblem)
  ropeScaling?: RopeScalingConfig;

  /** MLP activation: `gelu` (GPT-2), `swiglu` (Llama) or `geglu` (Gemma: tanh-GELU gate). */
  @IsIn(['gelu', 'swiglu', 'geglu'])
  activation: 'gelu' | 'swiglu' | 'geglu' = 'gelu';

  /** `1`: norms scale by 1 + weight, weights starting at 0 (Gemma's RMSNorm); `0`: by weight. */
  @IsOptional()
  @IsIn([0, 1])
  normOffset?: 0 | 1;

  /** Factor of the token embeddings before the first block (Gemma: √dim; default 1). */
  @IsOptional()
  @IsNumber()
  @IsPositive()
  embedScale?: number;

  /** Normalise the attention and MLP outputs again before their residual adds (Gemma's four norms a layer). */
  @IsBoolean()
  sandwichNorm = false;

  /** Factor of the attention scores (default 1 / √headDim; Gemma: query_pre_attn_scalar^−0.5). */
  @IsOptional()
  @IsNumber()
  @IsPositive()
  attnScale?: number;

  /**
   * Window of the local layers (Gemma 3's sliding_window), with slidingWindowPattern. Floe's
   * attention is full causal, so sequences are limited to it (data.maxLength at most this).
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @ConfigRule('slidingWindowPaired', slidingWindowPairProblem)
  @ConfigRule('slidingWindowFits', slidingWindowFitsProblem, { wholeRecipe: true })
  slidingWindow?: number;

  /** Every N-th layer is global (full attention, ropeTheta, ropeScaling), the others local (Gemma 3: 6); with slidingWindow. */
  @IsOptional()
  @IsInt()
  @Min(2)
  slidingWindowPattern?: number;

  /** RoPE base of the local layers (Gemma's rope_local_base_freq; default ropeTheta). */
  @IsOptional()
  @IsNumber()
  @IsPositive()
  ropeLocalTheta?: number;

  /** Share the token embedding with the output layer. */
  @IsBoolean()
  tieEmbeddings = true;

  /** Biases of the linear layers: `true` all (GPT-2), `false` none (Llama), `qkv` the attention's q/k/v projection only (Qwen2). */
  @IsIn([true, false, 'qkv'])
  bias: boolean | 'qkv' = true;

  /** Epsilon inside the norms (default 1e-5 for layernorm, 1e-6 for rmsnorm). */
  @IsOptional()
  @IsPositive()
  normEps?: number;

  /** Standard deviation of the weight init. */
  @IsPositive()
  initStd = 0.02;

  /**
   * Start from pretrained weights (path relative to the recipe): a Floe checkpoint or export, a
   * folder of checkpoints or a run folder (newest), or a HuggingFace GPT-2 or Llama-family
   * (llama, mistral, qwen2, qwen3) or Gemma 3 (gemma3_text) folder. The source's architecture wins; a field set here to a non-default value that contradicts it is an error.
   */
  @IsOptional()
  @IsPath()
  from?: string;

  /**
   * LoRA fine-tuning: `{ rank, alpha, targets, dropout }` adds low-rank adapters to the dense
   * layers `targets` names and freezes every other weight (usually with `from`).
   */
  @IsOptional()
  @ValidateNested({ message: 'must be a mapping { rank, alpha?, targets?, dropout? }' })
  @Type(() => LoraConfig)
  lora?: LoraConfig;

  /**
   * Activation checkpointing (HF's gradient_checkpointing): keep only each transformer block's
   * input for the backward pass and run the block again there. About a third more compute for
   * far less activation memory (long sequences, many layers); the same gradients bit for bit.
   */
  @IsBoolean()
  activationCheckpointing = false;
}

/** The architecture fields of a GPT config. */
function architectureOf(c: GptConfig): GptArchitecture {
  const { vocabSize, maxLength, layers, heads, kvHeads, dim, headDim, ffnDim, norm, position, activation, tieEmbeddings, bias, qkNorm, normEps, ropeTheta, ropeScaling } = c;
  const { normOffset, embedScale, sandwichNorm, attnScale, slidingWindow, slidingWindowPattern, ropeLocalTheta } = c;
  const gemma = { normOffset, embedScale, sandwichNorm, attnScale, slidingWindow, slidingWindowPattern, ropeLocalTheta };
  // The config's rules hold one type's settings only (validated before this is read).
  return { vocabSize, maxLength, layers, heads, kvHeads, dim, headDim, ffnDim, norm, position, activation, tieEmbeddings, bias, qkNorm, normEps, ropeTheta, ropeScaling: ropeScaling as RopeScaling | undefined, ...gemma };
}

/**
 * A source that names heads but not kvHeads (a checkpoint from before grouped-query attention, a
 * GPT-2 folder) has one key/value head per query head: said outright, a recipe's kvHeads that
 * differs is a contradiction rather than a shape error when the weights load. (Only the
 * architecture is used from the copy; the weights still load from `source`.)
 */
function withImpliedKvHeads(source: GptSource): GptSource {
  const { heads, kvHeads } = source.architecture;
  if (heads === undefined || kvHeads !== undefined) return source;
  const field = source.fieldNames.heads ?? 'heads';
  return { ...source, architecture: { ...source.architecture, kvHeads: heads }, fieldNames: { ...source.fieldNames, kvHeads: `${field}, no key/value head count given` } };
}

/** Builds a {@link GptModel}, initialised from the recipe's seed or from `model.from`'s weights. */
@register()
export class GptModelFactory extends ModelFactory<GptConfig, GptModel> {
  static override readonly type: string = 'gpt';
  static override readonly configType = GptConfig;

  async createModel(): Promise<GptModel> {
    return this.build({ resume: this.pendingResume(), checkMemory: true });
  }

  /**
   * The model the run started from, built again whether or not it resumes: `model.from`'s weights
   * or the seed's init, as at the start (the DPO trainer's reference, when a resume built the model
   * from the checkpoint). Not memory-checked: the trainer's `memoryNeeds` counted it with the model.
   */
  async createInitialModel(): Promise<GptModel> {
    return this.build({ checkMemory: false });
  }

  private async build(how: { resume?: PendingResume; checkMemory: boolean }): Promise<GptModel> {
    const c = this.config;
    const source = c.from === undefined ? undefined : await this.openSource(c.from);
    const arch = source === undefined ? architectureOf(c) : mergeGptArchitecture({ recipe: architectureOf(c), defaults: architectureOf(new GptConfig()), source: withImpliedKvHeads(source) });
    const maxLength = arch.maxLength as number;
    const dataMaxLength = (this.trainer.config.data as { maxLength?: number }).maxLength;
    const origin = source === undefined ? '' : ` (from ${source.configFile})`;
    if (dataMaxLength !== undefined && dataMaxLength > maxLength && source !== undefined) {
      // A from model's positions are fixed by its weights: the data is what to change.
      throw new ConfigError([{ path: 'data.maxLength', message: `is ${dataMaxLength} but the model${origin} takes at most ${maxLength} positions: set data.maxLength to ${maxLength} or less` }]);
    }
    if (dataMaxLength !== undefined && dataMaxLength > maxLength) {
      throw new ConfigError([{ path: 'model.maxLength', message: `is ${maxLength} but data.maxLength is ${dataMaxLength}; the model must accept the longest training row` }]);
    }
    const window = arch.slidingWindowPattern === undefined ? undefined : arch.slidingWindow;
    if (dataMaxLength !== undefined && window !== undefined && dataMaxLength > window) {
      const where = source === undefined ? 'model.slidingWindow' : `the model${origin}'s sliding_window`;
      throw new ConfigError([{ path: 'data.maxLength', message: `is ${dataMaxLength} but ${where} is ${window}: Floe's attention is full causal, which equals the local layers' sliding window only on rows of at most ${window} tokens; set data.maxLength to ${window} or less` }]);
    }
    if (arch.headDim === undefined && (arch.dim as number) % (arch.heads as number) !== 0) {
      throw new ConfigError([{ path: 'model.heads', message: `${arch.heads} heads do not divide dim ${arch.dim}` }]);
    }
    // Every id the tokenizer (and so the data) can produce must have an embedding row: a
    // smaller table fails inside the embedding gather on the first batch.
    const tokenizerVocab = this.trainer.tokenizer.vocabSize;
    if (source !== undefined && arch.vocabSize !== undefined && tokenizerVocab > arch.vocabSize) {
      throw new ConfigError([{ path: 'tokenizer', message: `has ${tokenizerVocab} token ids but the model${origin} has a vocabulary of ${arch.vocabSize}; use the model's own tokenizer` }]);
    }
    if (source === undefined && arch.vocabSize !== undefined && tokenizerVocab > arch.vocabSize) {
      throw new ConfigError([{ path: 'model.vocabSize', message: `is ${arch.vocabSize} but the tokenizer (${this.trainer.config.tokenizer.type}) has ${tokenizerVocab} token ids (0..${tokenizerVocab - 1}); set it to at least ${tokenizerVocab}, or leave it out to use the tokenizer's` }]);
    }
    const options = { ...arch, vocabSize: arch.vocabSize ?? tokenizerVocab, maxLength, layers: arch.layers as number, heads: arch.heads as number, dim: arch.dim as number, dropout: c.dropout, initStd: c.initStd, activationCheckpointing: c.activationCheckpointing };
    const lora = c.lora === undefined ? undefined : resolveLoraOptions(c.lora);
    const full = lora === undefined ? options : { ...options, lora };
    const resume = how.resume;
    if (source === undefined && resume === undefined) {
      if (how.checkMemory) this.checkMemory(atRecipePaths(() => resolveGptOptions(full)), 'model');
      return atRecipePaths(() => new GptModel(full, this.modelRng()));
    }
    return this.buildFromSource(full, { source, resume, checkMemory: how.checkMemory });
  }

  /** The checkpoint the run resumes from (see PendingResume): the model is built from its weights. */
  private pendingResume(): PendingResume | undefined {
    const container = this.trainer.context.container;
    if (this.trainer.context.inference === true || !container.isRegistered(PENDING_RESUME)) return undefined;
    return container.resolve<PendingResume>(PENDING_RESUME);
  }

  /** The source `from` names; one the run's loader already opened and checked is not opened again. */
  private async openSource(from: string): Promise<GptSource> {
    const target = path.resolve(this.trainer.context.recipeDir, from);
    const container = this.trainer.context.container;
    if (container.isRegistered(CHECKED_GPT_SOURCE)) {
      const checked = container.resolve<GptSource>(CHECKED_GPT_SOURCE);
      if (checked.dir === target) return checked;
    }
    try {
      return await openGptSource(target);
    } catch (error) {
      // Which recipe line named the folder (the run appends file:line:col); the class stays.
      if (error instanceof FloeError && error.setting === undefined) error.setting = 'model.from';
      throw error;
    }
  }

  /** The stream the model draws from: its own fork of the seed, so its draws change nothing else in the run. */
  private modelRng(): Rng {
    return new Rng(this.trainer.config.seed).fork('model');
  }

  /** The model built straight from the source's (or the resumed checkpoint's) weights: see `buildGptFromSource`. */
  private async buildFromSource(options: GptOptions, from: { source?: GptSource; resume?: PendingResume; checkMemory: boolean }): Promise<GptModel> {
    const checkMemory = from.checkMemory ? (resolved: ResolvedGptOptions, at: string) => this.checkMemory(resolved, at) : undefined;
    return buildGptFromSource(this.trainer, options, { source: from.source, resume: from.resume, rng: this.modelRng(), checkMemory, checkTokenizer: (dir) => this.checkSourceTokenizer(dir) });
  }

  /** A Floe checkpoint names its tokenizer: one of the same size but other ids would silently scramble the embeddings. */
  private async checkSourceTokenizer(dir: string): Promise<void> {
    await checkSourceTokenizer(this.trainer, dir);
  }

  /** The wasm memory pre-check (`checkTrainerGptMemory`), before any weight is built or loaded. */
  private checkMemory(options: ResolvedGptOptions, at: string): void {
    checkTrainerGptMemory(this.trainer, options, at);
  }
}
