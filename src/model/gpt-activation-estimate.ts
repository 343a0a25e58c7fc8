import { gptHeadDim, ResolvedGptOptions } from './gpt-options';
import { gptParamSpecs } from './gpt-params';
import { loraParamShapes } from './lora';

/** Float32 values kept per token row (B·T rows) by each part of a GPT; see {@link TRAINING}. */
interface PerRow {
  /** A block's per-width values (norms, q/k/v, residual adds), GELU model. */
  blockDimGelu: number;
  /** The same with SwiGLU, RMSNorm and RoPE (Llama). */
  blockDimSwiglu: number;
  /** Per MLP hidden unit, GELU. */
  ffnGelu: number;
  /** Per MLP hidden unit, SwiGLU (gate, up, silu, product). */
  ffnSwiglu: number;
  /** Per head and key position with the native fused attention (its probabilities). */
  scoresFused: number;
  /** Per head and key position unfused (grouped-query, attention dropout, no native addon): scores and probabilities. */
  scoresUnfused: number;
  /** Per width when attention runs unfused: q, k, v in heads layout. */
  blockDimUnfused: number;
  /** Per q/k/v width beyond `dim`'s (a `headDim` wider than dim / heads): q, k, v, their head layouts and rotations. */
  qkvExtraWidth: number;
  /** Per query and key width with `qkNorm`: the per-head RMSNorm's values. */
  qkNormWidth: number;
  /** Per MLP hidden unit, GeGLU beyond SwiGLU: the tanh-GELU of the gate keeps x² and σ besides its output (counted, not measured). */
  ffnGegluExtra: number;
  /** Per width with `sandwichNorm`: the two extra norms' outputs and the attention / MLP outputs they keep (counted, not measured). */
  blockDimSandwich: number;
  /** Per width outside the blocks with `embedScale`: the scaled embeddings (counted, not measured). */
  embedScaleDim: number;
  /** Per width with dropout (training): masks on the residual branches. */
  blockDimDropout: number;
  /** Per head and key position with dropout: the mask on the attention probabilities. */
  scoresDropout: number;
  /** Per vocabulary entry: the logits and, training, the cross-entropy's [B·T, V] gradient. */
  vocab: number;
  /** Per width outside the blocks: embeddings, the final norm. */
  headDim: number;
  /** Per vocabulary × width, not per row: the LM head's transposed weight copy `[dim, V]` in the backward pass. */
  headWeightCopy: number;
  /** Per input + output width of each LoRA-adapted layer (x·A, the low-rank term, the sum). */
  loraWidth: number;
  /**
   * Per parameter, without LoRA: negative in training, as the gradients are counted in full
   * beside the activations while at the activations' peak (mid backward) about half exist.
   */
  params: number;
  /** Per parameter with LoRA adapters. */
  paramsLora: number;
}

/**
 * A training micro-batch (forward + frugal backward), calibrated against the high-water of the
 * wasm backend's live tensor buffers (docs/backends.md has the table; `tf.memory().numBytes`
 * counts some buffers twice and reads 2-2.5× high).
 */
const TRAINING: PerRow = {
  blockDimGelu: 6,
  blockDimSwiglu: 6,
  ffnGelu: 2,
  ffnSwiglu: 4.75,
  scoresFused: 1.1,
  scoresUnfused: 2.5,
  blockDimUnfused: 7,
  qkvExtraWidth: 9,
  qkNormWidth: 1.5,
  ffnGegluExtra: 2,
  blockDimSandwich: 4,
  embedScaleDim: 1,
  blockDimDropout: 9,
  scoresDropout: 3.75,
  vocab: 2.2,
  headDim: 11.5,
  headWeightCopy: 1,
  loraWidth: 1.5,
  params: -0.5,
  paramsLora: 0.35,
};

/**
 * An inference forward and its loss (evaluate; no tape, no dropout), calibrated as
 * {@link TRAINING}: the whole forward is one `tf.tidy`, so its intermediates live until it ends.
 */
const INFERENCE: PerRow = {
  blockDimGelu: 10,
  blockDimSwiglu: 13,
  ffnGelu: 2,
  ffnSwiglu: 4,
  scoresFused: 0.1,
  scoresUnfused: 2.1,
  blockDimUnfused: 2.75,
  qkvExtraWidth: 6,
  qkNormWidth: 1.5,
  ffnGegluExtra: 1,
  blockDimSandwich: 2,
  embedScaleDim: 1,
  blockDimDropout: 0,
  scoresDropout: 0,
  vocab: 1,
  headDim: 3.25,
  headWeightCopy: 0,
  loraWidth: 1.5,
  params: 0.05,
  paramsLora: 0.05,
};

/** With checkpointing, the share of the head's values alive at the peak beside one recomputed block. */
const CHECKPOINTED_HEAD_SHARE = 0.75;

/** What {@link estimateGptActivations} needs. */
export interface GptActivationEstimateOptions {
  /** The model's resolved options (`lora`, `activationCheckpointing`, `dropout` included). */
  model: ResolvedGptOptions;
  /** Rows of a micro-batch (`microBatchSize`). */
  batch: number;
  /** Tokens a row holds: `data.maxLength` (packing fills rows to it), else the model's `maxLength`. */
  length: number;
  /** Whether the attention runs the native fused kernel when it can (the wasm backend with the native addon). */
  fusedAttention: boolean;
  /** A training step (forward + backward) or an inference forward (no dropout, no gradients). */
  mode: 'training' | 'inference';
}

/** Bytes of activations one micro-batch holds at its peak. */
export interface GptActivationEstimate {
  /** The estimate for the model as configured. */
  bytes: number;
  /** The same with `activationCheckpointing` on (equal to `bytes` when it is on, or in inference). */
  checkpointedBytes: number;
  /** `batch × length`, for the message. */
  rows: number;
}

/** Values per row of one block, and of the head (logits, cross-entropy, embeddings). */
function perRow(o: ResolvedGptOptions, length: number, fused: boolean, training: boolean): { block: number; head: number } {
  const c = training ? TRAINING : INFERENCE;
  // GeGLU has SwiGLU's gate and up projections, and a wider activation's saved values.
  const swiglu = o.activation !== 'gelu';
  const dropout = training && o.dropout > 0;
  // The fused kernel takes equal q/k/v parts and no dropout between the products (gpt-model.ts' attention).
  const unfused = !fused || o.kvHeads !== o.heads || dropout;
  let block = o.dim * (swiglu ? c.blockDimSwiglu : c.blockDimGelu) + o.ffnDim * (swiglu ? c.ffnSwiglu : c.ffnGelu);
  block += o.heads * length * (unfused ? c.scoresUnfused : c.scoresFused);
  if (unfused) block += o.dim * c.blockDimUnfused;
  // An explicit headDim (Qwen3) makes q, k and v wider than dim's split: the extra width is counted apart.
  const headDim = gptHeadDim(o);
  block += c.qkvExtraWidth * Math.max(0, (o.heads + 2 * o.kvHeads) * (headDim - o.dim / o.heads));
  if (o.qkNorm === true) block += c.qkNormWidth * (o.heads + o.kvHeads) * headDim;
  if (o.activation === 'geglu') block += c.ffnGegluExtra * o.ffnDim;
  if (o.sandwichNorm === true) block += c.blockDimSandwich * o.dim;
  if (dropout) block += o.dim * c.blockDimDropout + o.heads * length * c.scoresDropout;
  // Each adapted layer: lora_a is [in, r], lora_b [r, out]; per layer, so divided by the block count.
  let loraWidths = 0;
  if (o.lora !== undefined) for (const [name, shape] of loraParamShapes(o)) loraWidths += name.endsWith('.lora_a') ? shape[0] : shape[1];
  block += (c.loraWidth * loraWidths) / o.layers;
  return { block, head: o.vocabSize * c.vocab + o.dim * (c.headDim + (o.embedScale === undefined ? 0 : c.embedScaleDim)) };
}

/**
 * Bytes of activations at the peak of one micro-batch, from what the forward keeps per token row
 * (B·T rows): without checkpointing every block's values plus the head's (logits, the
 * cross-entropy's gradient); with it (gpt-model.ts' `checkpointedBlock`) each block's input
 * `[B·T, dim]`, one block's values while it is recomputed in the backward pass, and most of the
 * head's. An inference forward (`mode: 'inference'`) has its own figures and checkpoints nothing.
 */
export function estimateGptActivations(options: GptActivationEstimateOptions): GptActivationEstimate {
  const o = options.model;
  const rows = options.batch * options.length;
  const training = options.mode === 'training';
  const { block, head } = perRow(o, options.length, options.fusedAttention, training);
  const table = training ? TRAINING : INFERENCE;
  const params = gptParamCount(o) * (o.lora === undefined ? table.params : table.paramsLora) + o.vocabSize * o.dim * table.headWeightCopy;
  // At least the logits: the negative gradient credit cannot take more.
  const plain = Math.max(rows * (o.layers * block + head) + params, rows * head);
  // Without a tape nothing is checkpointed: the blocks run as they are.
  if (!training) return { bytes: Math.ceil(4 * plain), checkpointedBytes: Math.ceil(4 * plain), rows };
  const checkpointed = rows * (o.layers * o.dim + block + CHECKPOINTED_HEAD_SHARE * head) + Math.max(params, 0);
  const bytes = 4 * (o.activationCheckpointing === true ? checkpointed : plain);
  return { bytes: Math.ceil(bytes), checkpointedBytes: Math.ceil(4 * checkpointed), rows };
}

/** Parameters in all, LoRA factors included. */
function gptParamCount(o: ResolvedGptOptions): number {
  let total = 0;
  for (const spec of gptParamSpecs(o)) total += spec.shape.reduce((a, b) => a * b, 1);
  for (const [, shape] of loraParamShapes(o)) total += shape[0] * shape[1];
  return total;
}
