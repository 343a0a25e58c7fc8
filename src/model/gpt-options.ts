import { ConfigError, ConfigIssue } from '../errors';
import { dynamicContextProblem, RopeScaling, ropeScalingIssues } from './rope-scaling-config';
import { gptDenseLayers, loraOptionIssues, LoraOptions, loraTargetIssues, ResolvedLoraOptions, resolveLoraOptions } from './lora';

/** Normalisation layer used before attention, before the MLP and before the LM head. */
export type GptNorm = 'layernorm' | 'rmsnorm';
/** How token positions enter the model: a learned table added to embeddings, or rotary q/k. */
export type GptPosition = 'learned' | 'rope';
/** MLP flavour: GPT-2's tanh-GELU, Llama's gated SiLU (SwiGLU), or Gemma's gated tanh-GELU (GeGLU: `down(gelu_tanh(gate(x)) · up(x))`). */
export type GptActivation = 'gelu' | 'swiglu' | 'geglu';
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
   * 1: every norm scales by `1 + weight` rather than `weight` (Gemma's RMSNorm: `x̂ · (1 + w)`,
   * the sum rounded to float32 first as HF does), and its weights start at 0. Default 0.
   */
  normOffset?: 0 | 1;
  /** Token embeddings are multiplied by this (as a float32) before the first block: Gemma's `√dim`. Default 1. */
  embedScale?: number;
  /**
   * Gemma's sandwich norms: the attention and MLP outputs are normalised again
   * (`blocks.N.postAttnNorm`, `blocks.N.postMlpNorm`) before their residual add. Default false.
   */
  sandwichNorm?: boolean;
  /** Factor of the attention scores `q·kᵀ` (Gemma: `query_pre_attn_scalar^−0.5`). Default `1 / √headDim`. */
  attnScale?: number;
  /**
   * Gemma 3's local attention window: with `slidingWindowPattern`, the local layers attend to the
   * last `slidingWindow` tokens. Floe's attention is full causal, which equals that only on
   * sequences no longer than the window, so longer ones are refused. Default none.
   */
  slidingWindow?: number;
  /**
   * With `slidingWindow`: every `slidingWindowPattern`-th layer (i + 1 a multiple of it) is global
   * (full attention, `ropeTheta` and `ropeScaling`), the others local (the window, `ropeLocalTheta`,
   * no scaling). At least 2. Gemma 3: 6.
   */
  slidingWindowPattern?: number;
  /** RoPE base of the local layers of a `slidingWindowPattern` (Gemma's `rope_local_base_freq`). Default `ropeTheta`. */
  ropeLocalTheta?: number;
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
export type ResolvedGptOptions = Required<Omit<GptOptions, 'lora' | 'ropeScaling' | 'activationCheckpointing' | 'headDim' | 'qkNorm' | GemmaOptionKey>> & {
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
  /** 1 with Gemma's `1 + w` norms; absent otherwise. */
  normOffset?: 1;
  /** Embedding factor when not 1; absent otherwise. */
  embedScale?: number;
  /** True with sandwich norms; absent otherwise. */
  sandwichNorm?: true;
  /** Attention score factor when set; absent otherwise (1 / √headDim). */
  attnScale?: number;
  /** Local layers' window; absent without local layers. */
  slidingWindow?: number;
  /** Global-layer period; absent without local layers. */
  slidingWindowPattern?: number;
  /** Local layers' RoPE base when set; absent otherwise. */
  ropeLocalTheta?: number;
};

/** The options Gemma 3 adds, recorded only when set (a plain model's options stay as they were). */
export type GemmaOptionKey = 'normOffset' | 'embedScale' | 'sandwichNorm' | 'attnScale' | 'slidingWindow' | 'slidingWindowPattern' | 'ropeLocalTheta';

/** Whether layer `i` is a local (sliding-window) layer of a `slidingWindowPattern`. */
export function isLocalGptLayer(o: Pick<ResolvedGptOptions, 'slidingWindowPattern'>, i: number): boolean {
  return o.slidingWindowPattern !== undefined && (i + 1) % o.slidingWindowPattern !== 0;
}

/** The longest sequence the model computes faithfully: `slidingWindow` when it has local layers, else `maxLength`. */
export function gptContextLimit(o: Pick<ResolvedGptOptions, 'maxLength' | 'slidingWindow' | 'slidingWindowPattern'>): number {
  const local = o.slidingWindow !== undefined && o.slidingWindowPattern !== undefined;
  return local ? Math.min(o.maxLength, o.slidingWindow as number) : o.maxLength;
}

/** Width of one attention head: `headDim` when set, else `dim / heads`. */
export function gptHeadDim(o: Pick<ResolvedGptOptions, 'dim' | 'heads' | 'headDim'>): number {
  return o.headDim ?? o.dim / o.heads;
}

const NORMS: readonly GptNorm[] = ['layernorm', 'rmsnorm'];
const POSITIONS: readonly GptPosition[] = ['learned', 'rope'];
const ACTIVATIONS: readonly GptActivation[] = ['gelu', 'swiglu', 'geglu'];
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
  issues.push(...resolveGemmaOptions(options, resolved));
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

/** Checks and records {@link GemmaOptionKey}s (each only when it is not its default). */
function resolveGemmaOptions(options: GptOptions, resolved: ResolvedGptOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const finite = (key: 'embedScale' | 'attnScale' | 'ropeLocalTheta', positive: boolean): number | undefined => {
    const v = options[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
      issues.push({ path: key, message: `must be a finite${positive ? ' positive' : ''} number, got ${JSON.stringify(v)}` });
      return undefined;
    }
    return v;
  };
  const normOffset = options.normOffset;
  if (normOffset !== undefined && normOffset !== 0 && normOffset !== 1) issues.push({ path: 'normOffset', message: `must be 0 (norms scale by w) or 1 (by 1 + w, Gemma), got ${JSON.stringify(normOffset)}` });
  if (normOffset === 1) resolved.normOffset = 1;
  const embedScale = finite('embedScale', true);
  if (embedScale !== undefined && embedScale !== 1) resolved.embedScale = embedScale;
  const attnScale = finite('attnScale', true);
  if (attnScale !== undefined) resolved.attnScale = attnScale;
  if (options.sandwichNorm !== undefined && typeof options.sandwichNorm !== 'boolean') issues.push({ path: 'sandwichNorm', message: `must be true or false, got ${JSON.stringify(options.sandwichNorm)}` });
  if (options.sandwichNorm === true) resolved.sandwichNorm = true;
  const { slidingWindow: window, slidingWindowPattern: pattern } = options;
  if (window !== undefined && (!Number.isInteger(window) || window < 1)) issues.push({ path: 'slidingWindow', message: `must be a positive integer (tokens), got ${JSON.stringify(window)}` });
  if (pattern !== undefined && (!Number.isInteger(pattern) || pattern < 2)) issues.push({ path: 'slidingWindowPattern', message: `must be an integer of at least 2 (every pattern-th layer is global), got ${JSON.stringify(pattern)}` });
  if ((window === undefined) !== (pattern === undefined)) {
    issues.push({ path: window === undefined ? 'slidingWindowPattern' : 'slidingWindow', message: 'needs slidingWindow and slidingWindowPattern together (the local layers and their window)' });
  }
  const ropeLocalTheta = finite('ropeLocalTheta', true);
  if (ropeLocalTheta !== undefined && pattern === undefined) issues.push({ path: 'ropeLocalTheta', message: 'is the RoPE base of the local layers: it needs slidingWindow and slidingWindowPattern' });
  if (ropeLocalTheta !== undefined && resolved.position !== 'rope') issues.push({ path: 'ropeLocalTheta', message: `is a rotary base, but position is '${resolved.position}'; use position 'rope' or leave ropeLocalTheta out` });
  if (issues.length === 0 && window !== undefined && pattern !== undefined) Object.assign(resolved, { slidingWindow: window, slidingWindowPattern: pattern });
  if (issues.length === 0 && ropeLocalTheta !== undefined) resolved.ropeLocalTheta = ropeLocalTheta;
  return issues;
}

function checkChoice(issues: ConfigIssue[], path: string, value: string, choices: readonly string[]): void {
  if (!choices.includes(value)) issues.push({ path, message: `unknown value '${value}'. Supported: ${choices.join(', ')}` });
}
