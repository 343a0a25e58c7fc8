import { ConfigError, ConfigIssue } from '../errors';
import { dynamicContextProblem, RopeScaling, ropeScalingIssues } from './rope-scaling-config';
import { gptDenseLayers, loraOptionIssues, LoraOptions, loraTargetIssues, ResolvedLoraOptions, resolveLoraOptions } from './lora';

/** Normalisation layer used before attention, before the MLP and before the LM head. */
export type GptNorm = 'layernorm' | 'rmsnorm';
/** How token positions enter the model: a learned table added to embeddings, or rotary q/k. */
export type GptPosition = 'learned' | 'rope';
/** MLP flavour: GPT-2's tanh-GELU, or Llama's gated SiLU (SwiGLU). */
export type GptActivation = 'gelu' | 'swiglu';
/** Which linear layers have a bias: all (GPT-2), none (Llama), or only the q/k/v projection `attn.qkv` (Qwen2). */
export type GptBias = boolean | 'qkv';

/**
 * Shape and flavour of a decoder-only transformer. Only the five size fields are required; the
 * rest default to GPT-2 (pre-LayerNorm, learned positions, tanh-GELU, tied head, biases).
 * A Llama-style model is `{ norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false,
 * tieEmbeddings: false }`, with `kvHeads` below `heads` for grouped-query attention.
 */
export interface GptOptions {
  /** Number of token ids. */
  vocabSize: number;
  /** Longest sequence (and largest position + 1) the model accepts. */
  maxLength: number;
  /** Number of transformer blocks. */
  layers: number;
  /** Attention heads per block; must divide `dim` unless `headDim` is given. */
  heads: number;
  /**
   * Width of one attention head (HF's `head_dim`): q is `heads · headDim` wide, k and v
   * `kvHeads · headDim`, and the output projection maps `heads · headDim` back to `dim`. Must be
   * even with rope. Default `dim / heads` (Qwen3 sets it apart: 1024 wide, 16 heads of 128).
   */
  headDim?: number;
  /**
   * RMSNorm over each query and key head (weights `[headDim]` shared by the heads, eps `normEps`)
   * after the projection and before RoPE, as Qwen3's `q_norm` / `k_norm`. Default false.
   */
  qkNorm?: boolean;
  /**
   * Key/value heads per block (grouped-query attention, Llama's `num_key_value_heads`): query
   * head h reads key/value head ⌊h / (heads / kvHeads)⌋. Must divide `heads`. Default `heads`
   * (every head its own keys and values, as GPT-2).
   */
  kvHeads?: number;
  /** Model (residual stream) width. */
  dim: number;
  /** Hidden width of the MLP. Default `4 * dim` (also for SwiGLU, where Llama uses ~8/3·dim). */
  ffnDim?: number;
  /** Dropout rate on embeddings, attention probabilities and residual branches. Default 0. */
  dropout?: number;
  /** Normalisation layer. Default `'layernorm'`. */
  norm?: GptNorm;
  /** Position encoding. Default `'learned'`. */
  position?: GptPosition;
  /** MLP activation. Default `'gelu'`. */
  activation?: GptActivation;
  /** Reuse the token embedding as the LM head (no `lm_head.weight`). Default true (GPT-2). */
  tieEmbeddings?: boolean;
  /**
   * Biases of the linear layers: `true` on every one (GPT-2), `false` on none (Llama), `'qkv'` on
   * the attention's q/k/v projection `attn.qkv` only (Qwen2). Default true.
   */
  bias?: GptBias;
  /** Epsilon inside the norm. Default 1e-5 for layernorm, 1e-6 for rmsnorm. */
  normEps?: number;
  /** Standard deviation of the normal weight init. Default 0.02. */
  initStd?: number;
  /** RoPE base frequency. Default 10000. */
  ropeTheta?: number;
  /** RoPE frequency scaling (HF's rope_scaling: `llama3`, `linear`, `yarn` or `dynamic` within originalMaxLength); rope positions only. Default none. */
  ropeScaling?: RopeScaling;
  /**
   * Differentiate the model's 2-D matmuls with explicit transposes, so every backward GEMM is an
   * untransposed 2-D product (the only shape the *stock* wasm kernel runs fast, see PERF.md).
   * Default false: Floe's wasm `BatchMatMul` takes transpose flags itself and then picks the
   * cheaper formulation of each weight gradient (the explicit form forces packing the wide
   * operand: the MLP up-projection's weight gradient ran ~20% slower with it; the whole step is
   * within noise otherwise — docs/performance.md).
   */
  explicitTranspose?: boolean;
  /** Low-rank adapters on dense layers (LoRA); absent for a plain model. */
  lora?: LoraOptions;
  /**
   * Activation checkpointing: a training forward keeps only each transformer block's input for
   * the backward pass, which runs the block again (about a third more compute, far less memory;
   * the same gradients bit for bit). Default false.
   */
  activationCheckpointing?: boolean;
}

/** {@link GptOptions} with every default filled in (`lora` stays absent for a plain model). */
export type ResolvedGptOptions = Required<Omit<GptOptions, 'lora' | 'ropeScaling' | 'activationCheckpointing' | 'headDim' | 'qkNorm'>> & {
  /** LoRA options with defaults filled in; absent for a plain model. */
  lora?: ResolvedLoraOptions;
  /** RoPE scaling; absent for plain RoPE (and learned positions). */
  ropeScaling?: RopeScaling;
  /** True when blocks are checkpointed; absent otherwise. */
  activationCheckpointing?: true;
  /** Head width when it differs from `dim / heads`; absent otherwise (read it with {@link gptHeadDim}). */
  headDim?: number;
  /** True when q and k heads are normalised; absent otherwise. */
  qkNorm?: true;
};

/** Width of one attention head: `headDim` when set, else `dim / heads`. */
export function gptHeadDim(o: Pick<ResolvedGptOptions, 'dim' | 'heads' | 'headDim'>): number {
  return o.headDim ?? o.dim / o.heads;
}

const NORMS: readonly GptNorm[] = ['layernorm', 'rmsnorm'];
const POSITIONS: readonly GptPosition[] = ['learned', 'rope'];
const ACTIVATIONS: readonly GptActivation[] = ['gelu', 'swiglu'];
const BIASES: readonly GptBias[] = [true, false, 'qkv'];

/**
 * Fills defaults and checks consistency. Throws a {@link ConfigError} listing every problem.
 */
export function resolveGptOptions(options: GptOptions): ResolvedGptOptions {
  const norm = options.norm ?? 'layernorm';
  const resolved: ResolvedGptOptions = {
    vocabSize: options.vocabSize,
    maxLength: options.maxLength,
    layers: options.layers,
    heads: options.heads,
    kvHeads: options.kvHeads ?? options.heads,
    dim: options.dim,
    ffnDim: options.ffnDim ?? 4 * options.dim,
    dropout: options.dropout ?? 0,
    norm,
    position: options.position ?? 'learned',
    activation: options.activation ?? 'gelu',
    tieEmbeddings: options.tieEmbeddings ?? true,
    bias: options.bias ?? true,
    normEps: options.normEps ?? (norm === 'rmsnorm' ? 1e-6 : 1e-5),
    initStd: options.initStd ?? 0.02,
    ropeTheta: options.ropeTheta ?? 10000,
    explicitTranspose: options.explicitTranspose ?? false,
  };
  const issues: ConfigIssue[] = [];
  for (const key of ['vocabSize', 'maxLength', 'layers', 'heads', 'kvHeads', 'dim', 'ffnDim'] as const) {
    const v = resolved[key];
    if (!Number.isInteger(v) || v < 1) issues.push({ path: key, message: `must be a positive integer, got ${v}` });
  }
  const headDim = options.headDim;
  if (headDim !== undefined && (!Number.isInteger(headDim) || headDim < 1)) issues.push({ path: 'headDim', message: `must be a positive integer (the width of one attention head), got ${headDim}` });
  if (issues.length === 0 && headDim === undefined && resolved.dim % resolved.heads !== 0) {
    issues.push({ path: 'heads', message: `must divide dim (${resolved.dim}), got ${resolved.heads}; or set headDim` });
  }
  if (issues.length === 0 && resolved.heads % resolved.kvHeads !== 0) {
    issues.push({ path: 'kvHeads', message: `must divide heads (${resolved.heads}): each key/value head serves an equal group of query heads, got ${resolved.kvHeads}` });
  }
  if (issues.length === 0 && resolved.position === 'rope' && headDim === undefined && (resolved.dim / resolved.heads) % 2 !== 0) {
    issues.push({ path: 'heads', message: `rope needs an even head size, got dim/heads = ${resolved.dim / resolved.heads}` });
  }
  if (issues.length === 0 && resolved.position === 'rope' && headDim !== undefined && headDim % 2 !== 0) {
    issues.push({ path: 'headDim', message: `rope rotates channel pairs, so it must be even, got ${headDim}` });
  }
  // Only recorded when it differs from dim / heads, so a plain model's options stay as they were.
  if (issues.length === 0 && headDim !== undefined && headDim * resolved.heads !== resolved.dim) resolved.headDim = headDim;
  if (options.qkNorm !== undefined && typeof options.qkNorm !== 'boolean') issues.push({ path: 'qkNorm', message: `must be true or false, got ${JSON.stringify(options.qkNorm)}` });
  if (options.qkNorm === true) resolved.qkNorm = true;
  if (!(resolved.dropout >= 0 && resolved.dropout < 1)) issues.push({ path: 'dropout', message: `must be in [0, 1), got ${resolved.dropout}` });
  if (!(resolved.normEps > 0)) issues.push({ path: 'normEps', message: `must be positive, got ${resolved.normEps}` });
  if (!(resolved.initStd > 0)) issues.push({ path: 'initStd', message: `must be positive, got ${resolved.initStd}` });
  if (!(resolved.ropeTheta > 0)) issues.push({ path: 'ropeTheta', message: `must be positive, got ${resolved.ropeTheta}` });
  checkChoice(issues, 'norm', resolved.norm, NORMS);
  checkChoice(issues, 'position', resolved.position, POSITIONS);
  checkChoice(issues, 'activation', resolved.activation, ACTIVATIONS);
  if (!BIASES.includes(resolved.bias)) issues.push({ path: 'bias', message: `unknown value ${JSON.stringify(resolved.bias)}. Supported: true, false, 'qkv'` });
  // Only added when set, so a plain model's options (and its model-config.json) stay as they were.
  if (options.ropeScaling !== undefined) {
    const scalingIssues = ropeScalingIssues(options.ropeScaling, 'ropeScaling');
    if (resolved.position !== 'rope') scalingIssues.push({ path: 'ropeScaling', message: `scales rotary positions, but position is '${resolved.position}'; use position 'rope' or leave ropeScaling out` });
    const dynamic = dynamicContextProblem(options.ropeScaling, resolved.maxLength);
    if (dynamic !== undefined) scalingIssues.push({ path: 'ropeScaling', message: `is ${dynamic}` });
    issues.push(...scalingIssues);
    if (scalingIssues.length === 0) resolved.ropeScaling = { ...options.ropeScaling };
  }
  // Only added when set, so a plain model's options (and its model-config.json) stay as they were.
  if (options.activationCheckpointing !== undefined && typeof options.activationCheckpointing !== 'boolean') {
    issues.push({ path: 'activationCheckpointing', message: `must be true or false, got ${JSON.stringify(options.activationCheckpointing)}` });
  }
  // A training setting, not the architecture: recorded only when on.
  if (options.activationCheckpointing === true) resolved.activationCheckpointing = true;
  if (options.lora !== undefined) {
    issues.push(...loraOptionIssues(options.lora, 'lora'));
    // Targets are globs over the dense layers: only sound options have them.
    if (issues.length === 0) {
      resolved.lora = resolveLoraOptions(options.lora);
      issues.push(...loraTargetIssues(resolved.lora.targets, gptDenseLayers(resolved), 'lora'));
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Invalid GPT model options');
  return resolved;
}

function checkChoice(issues: ConfigIssue[], path: string, value: string, choices: readonly string[]): void {
  if (!choices.includes(value)) issues.push({ path, message: `unknown value '${value}'. Supported: ${choices.join(', ')}` });
}
