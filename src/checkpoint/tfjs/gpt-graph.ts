import type { GptModel } from '../../model/gpt-model';
import { gptHeadDim, ResolvedGptOptions } from '../../model/gpt-options';
import { gptLinearHasBias } from '../../model/gpt-params';
import { ropeAttentionFactor, ropeInverseFrequencies } from '../../model/rotary';
import { CheckpointError } from '../../errors';
import { GraphDefBuilder } from './graph-def-builder';

/** Name of the graph's input: int32 token ids `[B, T]`. */
export const GPT_GRAPH_INPUT = 'input_ids';
/** Name of the graph's output: float32 next-token logits `[B, T, V]`. */
export const GPT_GRAPH_OUTPUT = 'logits';

/** Large negative score of masked attention pairs (as in Floe's causal mask). */
const MASKED_SCORE = -1e9;
const GELU_C = 2 * Math.sqrt(2 / Math.PI);
const GELU_C3 = GELU_C * 0.044715;

/** Shared nodes every block reuses. */
interface Context {
  g: GraphDefBuilder;
  o: ResolvedGptOptions;
  /** `[-1, T, H, headDim]` as an int32 shape tensor. */
  headShape: string;
  /** `[-1, T, kvHeads, headDim]` as an int32 shape tensor. */
  kvHeadShape: string;
  /** Causal additive mask `[T, T]`. */
  mask: string;
  /** RoPE tables `[T, headDim]` when `position` is rope. */
  rope?: { cos: string; sinSigned: string };
}

function dense(c: Context, x: string, prefix: string): string {
  const y = c.g.op('MatMul', [x, `${prefix}.weight`], { transpose_a: { b: false }, transpose_b: { b: false } });
  return gptLinearHasBias(c.o, prefix) ? c.g.op('AddV2', [y, `${prefix}.bias`]) : y;
}

function norm(c: Context, x: string, prefix: string): string {
  const { g, o } = c;
  const axis = g.ints([-1]);
  const eps = g.scalar(o.normEps);
  if (o.norm === 'rmsnorm') {
    const meanSquare = g.op('Mean', [g.op('Mul', [x, x]), axis], { keep_dims: { b: true } });
    const normed = g.op('Mul', [x, g.op('Rsqrt', [g.op('AddV2', [meanSquare, eps])])]);
    return g.op('Mul', [normed, `${prefix}.weight`]);
  }
  const centred = g.op('Sub', [x, g.op('Mean', [x, axis], { keep_dims: { b: true } })]);
  const variance = g.op('Mean', [g.op('Mul', [centred, centred]), axis], { keep_dims: { b: true } });
  const normed = g.op('Mul', [centred, g.op('Rsqrt', [g.op('AddV2', [variance, eps])])]);
  return g.op('AddV2', [g.op('Mul', [normed, `${prefix}.weight`]), `${prefix}.bias`]);
}

/** RMSNorm of `x` over its last axis with weight `${prefix}.weight` (any rank: heads `[B, n, T, headDim]`). */
function headRmsNorm(c: Context, x: string, prefix: string): string {
  const { g, o } = c;
  const meanSquare = g.op('Mean', [g.op('Mul', [x, x]), g.ints([-1])], { keep_dims: { b: true } });
  const normed = g.op('Mul', [x, g.op('Rsqrt', [g.op('AddV2', [meanSquare, g.scalar(o.normEps)])])]);
  return g.op('Mul', [normed, `${prefix}.weight`]);
}

function toHeads(c: Context, x: string, shape = c.headShape): string {
  return c.g.op('Transpose', [c.g.op('Reshape', [x, shape]), c.g.ints([0, 2, 1, 3])]);
}

/**
 * The q, k and v heads of the packed projection, `[B, n, T, headDim]` each. With grouped-query
 * attention (kvHeads < heads) k and v are gathered to the query heads, head h taking K/V head
 * ⌊h / (heads / kvHeads)⌋ (HF's `repeat_kv`); the model does the same without the copy.
 */
function splitHeads(c: Context, qkv: string): { q: string; k: string; v: string } {
  const { g, o } = c;
  const headDim = gptHeadDim(o);
  if (o.kvHeads === o.heads) {
    const parts = g.op('Split', [g.ints([1], []), qkv], { num_split: { i: '3' } });
    return { q: toHeads(c, `${parts}:0`), k: toHeads(c, `${parts}:1`), v: toHeads(c, `${parts}:2`) };
  }
  const kvDim = o.kvHeads * headDim;
  const parts = g.op('SplitV', [qkv, g.ints([o.heads * headDim, kvDim, kvDim]), g.ints([1], [])], { num_split: { i: '3' } });
  const group = o.heads / o.kvHeads;
  const which = g.ints(Array.from({ length: o.heads }, (_, h) => Math.floor(h / group)));
  const repeat = (x: string): string => g.op('GatherV2', [toHeads(c, x, c.kvHeadShape), which, g.ints([1], [])], { batch_dims: { i: '0' } });
  return { q: toHeads(c, `${parts}:0`), k: repeat(`${parts}:1`), v: repeat(`${parts}:2`) };
}

function rope(c: Context, x: string): string {
  const { g } = c;
  const tables = c.rope as { cos: string; sinSigned: string };
  const halves = g.op('Split', [g.ints([3], []), x], { num_split: { i: '2' } });
  const swapped = g.op('ConcatV2', [`${halves}:1`, `${halves}:0`, g.ints([3], [])], { N: { i: '2' } });
  return g.op('AddV2', [g.op('Mul', [x, tables.cos]), g.op('Mul', [swapped, tables.sinSigned])]);
}

function attention(c: Context, h: string, prefix: string): string {
  const { g, o } = c;
  const headDim = gptHeadDim(o);
  const heads = splitHeads(c, dense(c, h, `${prefix}.attn.qkv`));
  // qkNorm: an RMSNorm over each head's last axis, its [headDim] weight broadcast over the heads.
  const qHeads = o.qkNorm === true ? headRmsNorm(c, heads.q, `${prefix}.attn.qNorm`) : heads.q;
  let q = g.op('Mul', [qHeads, g.scalar(1 / Math.sqrt(headDim))]);
  let k = o.qkNorm === true ? headRmsNorm(c, heads.k, `${prefix}.attn.kNorm`) : heads.k;
  const v = heads.v;
  if (c.rope !== undefined) {
    q = rope(c, q);
    k = rope(c, k);
  }
  const scores = g.op('AddV2', [g.op('BatchMatMulV2', [q, k], { adj_x: { b: false }, adj_y: { b: true } }), c.mask]);
  const mixed = g.op('BatchMatMulV2', [g.op('Softmax', [scores]), v], { adj_x: { b: false }, adj_y: { b: false } });
  const merged = g.op('Reshape', [g.op('Transpose', [mixed, g.ints([0, 2, 1, 3])]), g.ints([-1, o.heads * headDim])]);
  return dense(c, merged, `${prefix}.attn.out`);
}

function mlp(c: Context, h: string, prefix: string): string {
  const { g, o } = c;
  const up = dense(c, h, `${prefix}.mlp.up`);
  let hidden: string;
  if (o.activation === 'swiglu') {
    const gate = dense(c, h, `${prefix}.mlp.gate`);
    hidden = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
  } else {
    // gelu_tanh(x) = x·sigmoid(x·(C + C3·x²)), as Floe computes it.
    const inner = g.op('AddV2', [g.op('Mul', [g.op('Square', [up]), g.scalar(GELU_C3)]), g.scalar(GELU_C)]);
    hidden = g.op('Mul', [up, g.op('Sigmoid', [g.op('Mul', [up, inner])])]);
  }
  return dense(c, hidden, `${prefix}.mlp.down`);
}

function ropeTables(g: GraphDefBuilder, o: ResolvedGptOptions, positions: string): { cos: string; sinSigned: string } {
  const headDim = gptHeadDim(o);
  const half = headDim / 2;
  const cos = new Float32Array(o.maxLength * headDim);
  const sinSigned = new Float32Array(o.maxLength * headDim);
  // The model's own frequencies (and float32 rounding), so the graph's logits match its forward.
  const invFreq = ropeInverseFrequencies(headDim, o.ropeTheta, o.ropeScaling);
  const attention = ropeAttentionFactor(o.ropeScaling);
  for (let p = 0; p < o.maxLength; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * invFreq[i]);
      cos[p * headDim + i] = cos[p * headDim + i + half] = attention * Math.cos(angle);
      sinSigned[p * headDim + i] = -attention * Math.sin(angle);
      sinSigned[p * headDim + i + half] = attention * Math.sin(angle);
    }
  }
  const axis0 = g.ints([0], []);
  const cosTable = g.constant('rope/cos', cos, [o.maxLength, headDim]);
  const sinTable = g.constant('rope/sin_signed', sinSigned, [o.maxLength, headDim]);
  return {
    cos: g.op('GatherV2', [cosTable, positions, axis0], { batch_dims: { i: '0' } }),
    sinSigned: g.op('GatherV2', [sinTable, positions, axis0], { batch_dims: { i: '0' } }),
  };
}

/**
 * Builds the inference graph of a GPT — input `input_ids` int32 `[B, T]`, output `logits`
 * float32 `[B, T, V]`, causal attention, positions `0..T−1` — with the model's current weights as
 * constants named by Floe's parameter names. Reads every weight (async).
 */
export async function buildGptGraph(model: GptModel): Promise<GraphDefBuilder> {
  const o = model.options;
  // The graph takes any T up to maxLength and cannot refuse one past a sliding window at run time.
  const gemma = (['normOffset', 'embedScale', 'sandwichNorm', 'attnScale', 'slidingWindow', 'activation'] as const).filter((key) => o[key] !== undefined && (key !== 'activation' || o.activation === 'geglu'));
  if (gemma.length > 0) {
    throw new CheckpointError(
      `Cannot export the model as a tfjs graph (--format tfjs): it has Gemma settings the graph export does not build (${gemma.map((key) => `model.${key} ${JSON.stringify(o[key])}`).join(', ')}). ` +
        'Export with --format safetensors or --format hf.',
    );
  }
  const g = new GraphDefBuilder();
  const ids = g.placeholder(GPT_GRAPH_INPUT, 'int32', [-1, -1]);
  for (const [name, variable] of model.params) g.constant(name, (await variable.data()) as Float32Array, [...variable.shape]);

  // T, [T] and positions 0..T−1, from the input's shape.
  const shape = g.op('Shape', [ids], { out_type: { type: 'DT_INT32' } });
  const sliceAttrs = { begin_mask: { i: '0' }, end_mask: { i: '0' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' } };
  const tVec = g.op('StridedSlice', [shape, g.ints([1]), g.ints([2]), g.ints([1])], { ...sliceAttrs, shrink_axis_mask: { i: '0' } });
  const t = g.op('StridedSlice', [shape, g.ints([1]), g.ints([2]), g.ints([1])], { ...sliceAttrs, shrink_axis_mask: { i: '1' } });
  const positions = g.op('Range', [g.ints([0], []), t, g.ints([1], [])], { Tidx: { type: 'DT_INT32' } });
  const axis0 = g.ints([0], []);
  const concatShape = (parts: string[]): string => g.op('ConcatV2', [...parts, axis0], { N: { i: String(parts.length) } });

  // Causal mask: MASKED_SCORE where key > query.
  const rows = g.op('Reshape', [positions, g.ints([-1, 1])]);
  const cols = g.op('Reshape', [positions, g.ints([1, -1])]);
  const above = g.op('Cast', [g.op('Greater', [cols, rows])], { SrcT: { type: 'DT_BOOL' }, DstT: { type: 'DT_FLOAT' } });
  const c: Context = {
    g,
    o,
    headShape: concatShape([g.ints([-1]), tVec, g.ints([o.heads, gptHeadDim(o)])]),
    kvHeadShape: concatShape([g.ints([-1]), tVec, g.ints([o.kvHeads, gptHeadDim(o)])]),
    mask: g.op('Mul', [above, g.scalar(MASKED_SCORE)]),
    rope: o.position === 'rope' ? ropeTables(g, o, positions) : undefined,
  };

  let x = g.op('GatherV2', ['embed.tokens.weight', ids, axis0], { batch_dims: { i: '0' } });
  if (o.position === 'learned') x = g.op('AddV2', [x, g.op('GatherV2', ['embed.positions.weight', positions, axis0], { batch_dims: { i: '0' } })]);
  x = g.op('Reshape', [x, g.ints([-1, o.dim])]);
  for (let i = 0; i < o.layers; i++) {
    const p = `blocks.${i}`;
    x = g.op('AddV2', [x, attention(c, norm(c, x, `${p}.norm1`), p)]);
    x = g.op('AddV2', [x, mlp(c, norm(c, x, `${p}.norm2`), p)]);
  }
  const h = norm(c, x, 'norm');
  const logits = o.tieEmbeddings
    ? g.op('MatMul', [h, 'embed.tokens.weight'], { transpose_a: { b: false }, transpose_b: { b: true } })
    : dense(c, h, 'lm_head');
  g.op('Reshape', [logits, concatShape([g.ints([-1]), tVec, g.ints([o.vocabSize])])], {}, GPT_GRAPH_OUTPUT);
  return g;
}
