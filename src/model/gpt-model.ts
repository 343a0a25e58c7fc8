import * as tf from '@tensorflow/tfjs';
import { checkpointed } from '../autograd/checkpoint';
import { Rng } from '../random';
import { causalBias, segmentBias } from './attention-mask';
import { canFuseAttention, fusedAttention } from './fused-attention';
import { linear } from './dense';
import { DropoutSites, NO_DROPOUT } from './dropout-sites';
import { checkGptForwardInputs } from './gpt-forward-checks';
import { GptOptions, gptHeadDim, isLocalGptLayer, ResolvedGptOptions, resolveGptOptions } from './gpt-options';
import { KvCache } from './kv-cache';
import { LoraAdapters } from './lora';
import { createGptParams, gptParamsFrom, skipGptParamDraws } from './gpt-params';
import { geluTanh, layerNorm, rmsNorm, silu } from './layers';
import { attend, attendGrouped } from './attention-products';
import { ModelError } from './model-error';
import { applyRope, applyRopePacked, ropeTables, RopeTables } from './rotary';

/** Options of {@link GptModel.forward}. */
export interface GptForwardOptions {
  /**
   * Position of each token, int32 `[B, T]`. Default: `0..T−1`, or, when `segmentIds` is given,
   * the index of each token inside its segment. Must stay below `maxLength` for learned positions.
   */
  positions?: tf.Tensor2D;
  /** Document id of each token, int32 `[B, T]`; tokens attend only within their own segment. */
  segmentIds?: tf.Tensor2D;
  /** Apply dropout (when `dropout > 0`). Default false. */
  training?: boolean;
  /** Seed of this call's dropout masks. Default: drawn from the model's own seeded stream. */
  dropoutSeed?: number;
  /**
   * Keys and values of the tokens before `inputIds` (incremental decoding, see {@link KvCache}):
   * the call attends to them, appends its own, and positions default to `cache.length + 0..T−1`.
   * Inference only: not with `training` or `segmentIds`.
   */
  cache?: KvCache;
  /**
   * With `cache`: which of `inputIds` are padding (1) rather than tokens (0), `[B, T]`. No token
   * attends to a padding key, in this call or later ones: rows of different lengths share a cache.
   */
  padding?: tf.Tensor2D;
}

/** Initial values of a {@link GptModel}'s base weights, by parameter name: the model draws no init for them. */
export interface GptInitialWeights {
  /** One float32 tensor per base parameter (`gptParamSpecs` names and shapes, no LoRA factors); the caller keeps ownership. */
  weights: ReadonlyMap<string, tf.Tensor>;
  /**
   * The stream a random init would have drawn from (required with `lora`). Advanced as if the
   * base weights were drawn, so the LoRA factors and the dropout stream are those a random init
   * followed by a weight load gives, bit for bit. Default: none (a fixed dropout stream).
   */
  rng?: Rng;
}

type Dropout = <T extends tf.Tensor>(x: T) => T;

/** What every transformer block of one forward call shares. */
interface BlockContext {
  b: number;
  t: number;
  mask: tf.Tensor4D;
  rope: RopeTables | undefined;
  drop: Dropout;
  dropsProbs: boolean;
  cache?: KvCache;
}

/**
 * Decoder-only transformer (GPT-2 / Llama style, pre-norm) as plain tfjs variables and ops.
 *
 * Parameters live in {@link params} under stable dotted names (see `gptParamSpecs`). Linear
 * weights are stored `[in, out]` so `x @ W` needs no transpose; exporters to PyTorch layout
 * must transpose them. The tied LM head reuses `embed.tokens.weight` `[V, D]` as `x @ Eᵀ`.
 *
 * For wasm speed, dense layers run as 2-D matmuls on `[B·T, D]` and attention as batched
 * matmuls on 4-D `[B, H, T, headDim]` tensors (see PERF.md), or, with Floe's native kernels,
 * as one fused call on the packed `qkv` projection ({@link fusedAttention}).
 */
export class GptModel {
  /** Options with defaults filled in. */
  readonly options: ResolvedGptOptions;
  /** Trainable variables by name, in a stable order. */
  readonly params: Map<string, tf.Variable>;
  /** The LoRA adapters when `options.lora` is set (their factors are also in {@link params}). */
  readonly lora?: LoraAdapters;
  private readonly dropoutRng: Rng;

  /**
   * Creates the variables from `rng` (consumes from it); see `createGptParams`. LoRA factors are
   * drawn after every base weight, so a seed gives the same base weights with or without them.
   * Given `{ weights }` instead, the base variables take those values and nothing is drawn for
   * them (see `gptParamsFrom`); LoRA factors still start from `rng` (see {@link GptInitialWeights}).
   */
  constructor(options: GptOptions, init: Rng | GptInitialWeights) {
    this.options = resolveGptOptions(options);
    let rng: Rng | undefined;
    if ('weights' in init) {
      if (this.options.lora !== undefined && init.rng === undefined) throw new ModelError('GptModel: initial weights with lora need { weights, rng }: the LoRA factors start from the seed stream (the base weights come from weights)');
      this.params = gptParamsFrom(this.options, init.weights);
      rng = init.rng;
      if (rng !== undefined) skipGptParamDraws(this.options, rng);
      // No seed given: a fixed dropout stream (read only by a training forward without a dropoutSeed).
      this.dropoutRng = (rng ?? new Rng(0)).fork('dropout');
    } else {
      rng = init;
      this.params = createGptParams(this.options, rng);
      this.dropoutRng = rng.fork('dropout');
    }
    if (this.options.lora !== undefined && rng !== undefined) {
      try {
        this.lora = new LoraAdapters(this.options.lora, this, rng.fork('lora'));
      } catch (error) {
        this.dispose();
        throw error;
      }
    }
  }

  /** Whether a training forward drops anything (the model's `dropout` or its adapters'), so it wants a `dropoutSeed`. */
  get usesDropout(): boolean {
    return this.options.dropout > 0 || (this.options.lora?.dropout ?? 0) > 0;
  }

  /** The LoRA adapters as the trainer sees them: only their parameters train. */
  get adapter(): LoraAdapters | undefined {
    return this.lora;
  }

  /** Width of one attention head. */
  get headDim(): number {
    return gptHeadDim(this.options);
  }

  /** Next-token logits `[B, T, V]` for int32 token ids `[B, T]`. */
  forward(inputIds: tf.Tensor2D, opts: GptForwardOptions = {}): tf.Tensor3D {
    checkGptForwardInputs(this.options, inputIds, opts);
    const [b, t] = inputIds.shape;
    const cache = opts.cache;
    if (cache === undefined) return this.run(inputIds, opts);
    try {
      const logits = this.run(inputIds, opts);
      cache.commit(b, t);
      return logits;
    } catch (error) {
      cache.abort();
      throw error;
    }
  }

  private run(inputIds: tf.Tensor2D, opts: GptForwardOptions): tf.Tensor3D {
    const [b, t] = inputIds.shape;
    const o = this.options;
    const sites = this.dropout(opts);
    const drop = sites.drop;
    const dropsProbs = opts.training === true && o.dropout > 0;
    const cache = opts.cache;
    this.lora?.begin(opts);
    return tf.tidy(() => {
      let mask: tf.Tensor4D;
      let positions = opts.positions;
      if (cache !== undefined) {
        // New tokens see every cached one and, causally, each other.
        mask = causalBias(t, cache.length);
        const keyBias = cache.keyBias(opts.padding, b, t);
        if (keyBias !== undefined) mask = tf.add(mask, keyBias);
        const past = cache.length;
        positions = positions ?? tf.tensor2d(Int32Array.from({ length: b * t }, (_, i) => past + (i % t)), [b, t], 'int32');
      } else if (opts.segmentIds !== undefined) {
        const segments = segmentBias(opts.segmentIds);
        mask = segments.bias;
        positions = positions ?? segments.positions;
      } else {
        mask = causalBias(t);
      }
      let x = drop(this.embed(inputIds, positions));
      let rope: RopeTables | undefined;
      let localRope: RopeTables | undefined;
      if (o.position === 'rope') {
        const at = positions ?? (tf.range(0, t, 1, 'int32').reshape([1, t]) as tf.Tensor2D);
        rope = ropeTables(at, this.headDim, o.ropeTheta, o.ropeScaling);
        // Gemma 3's local layers: their own base, no scaling (HF's rotary_emb_local).
        if (o.slidingWindowPattern !== undefined) localRope = ropeTables(at, this.headDim, o.ropeLocalTheta ?? o.ropeTheta);
      }
      const ctx: BlockContext = { b, t, mask, rope, drop, dropsProbs, cache };
      const localCtx: BlockContext = { ...ctx, rope: localRope };
      // A KV cache is inference only (no tape): nothing to checkpoint.
      const checkpoint = o.activationCheckpointing === true && cache === undefined;
      for (let i = 0; i < o.layers; i++) {
        const layerCtx = isLocalGptLayer(o, i) ? localCtx : ctx;
        x = checkpoint ? this.checkpointedBlock(i, x, layerCtx, sites) : this.block(i, x, layerCtx);
      }
      const h = this.norm('norm', x);
      const logits = o.tieEmbeddings
        ? linear(h, this.weight('embed.tokens.weight'), { transposeWeight: true, explicitTranspose: o.explicitTranspose })
        : this.dense('lm_head', h);
      return tf.reshape(logits, [b, t, o.vocabSize]) as tf.Tensor3D;
    });
  }

  /** Total number of scalar parameters. */
  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Human-readable table of options and parameters. */
  summary(): string {
    const o = this.options;
    const lines = [
      `GptModel: ${o.layers} layers, dim ${o.dim}, ${o.heads} heads${o.kvHeads < o.heads ? ` (${o.kvHeads} key/value)` : ''}${o.headDim === undefined ? '' : ` of ${o.headDim}`}${o.qkNorm === true ? ' (q/k norm)' : ''}, ffn ${o.ffnDim}, vocab ${o.vocabSize}, maxLength ${o.maxLength}`,
      `  ${o.norm} / ${o.position}${o.ropeScaling === undefined ? '' : ` (${o.ropeScaling.type} scaling ×${o.ropeScaling.factor})`} / ${o.activation}, tied=${o.tieEmbeddings}, bias=${o.bias}, dropout=${o.dropout}`,
    ];
    const gemma = (['normOffset', 'embedScale', 'sandwichNorm', 'attnScale', 'slidingWindow', 'slidingWindowPattern', 'ropeLocalTheta'] as const).filter((key) => o[key] !== undefined);
    if (gemma.length > 0) lines.push(`  ${gemma.map((key) => `${key}=${o[key]}`).join(', ')}`);
    if (o.lora !== undefined) lines.push(`  lora: rank ${o.lora.rank}, alpha ${o.lora.alpha}, dropout ${o.lora.dropout} on ${this.lora?.layers.join(', ')}`);
    const width = Math.max(...Array.from(this.params.keys(), (k) => k.length));
    for (const [name, v] of this.params) {
      lines.push(`  ${name.padEnd(width)}  ${`[${v.shape.join(', ')}]`.padEnd(14)} ${v.size.toLocaleString('en-US')}`);
    }
    lines.push(`Total parameters: ${this.parameterCount().toLocaleString('en-US')}`);
    return lines.join('\n');
  }

  /** Disposes every variable; the model is unusable afterwards. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }

  /** Transformer block `i`: attention, then the MLP, each a residual branch (with `sandwichNorm`, each output normalised again). */
  private block(i: number, x: tf.Tensor2D, ctx: BlockContext): tf.Tensor2D {
    const p = `blocks.${i}`;
    const sandwich = this.options.sandwichNorm === true;
    let attn = this.attention(p, this.norm(`${p}.norm1`, x), { ...ctx, layer: i });
    if (sandwich) attn = this.norm(`${p}.postAttnNorm`, attn);
    const h: tf.Tensor2D = tf.add(x, ctx.drop(attn));
    let mlp = this.mlp(p, this.norm(`${p}.norm2`, h));
    if (sandwich) mlp = this.norm(`${p}.postMlpNorm`, mlp);
    return tf.add(h, ctx.drop(mlp));
  }

  /**
   * Block `i` as one checkpointed unit (`activationCheckpointing`): the backward pass keeps only
   * its input and runs it again, drawing the same dropout masks (the model's and the adapters'
   * sites from where this block started) and taking the same kernels (same operands), so the
   * gradients are those of {@link block} bit for bit.
   */
  private checkpointedBlock(i: number, x: tf.Tensor2D, ctx: BlockContext, sites: DropoutSites): tf.Tensor2D {
    const prefix = `blocks.${i}.`;
    const start = sites.site;
    const loraStart = this.lora?.dropoutSites();
    const rope = ctx.rope;
    let replay = false;
    return checkpointed({
      name: `blocks.${i}`,
      input: x,
      constants: rope === undefined ? [ctx.mask] : [ctx.mask, rope.cos, rope.sinSigned],
      weights: new Map([...this.params].filter(([name]) => name.startsWith(prefix))),
      run: (input, [mask, cos, sinSigned]) => {
        // The first call is the forward itself: it moves the call's dropout sites on.
        if (!replay) {
          replay = true;
          return this.block(i, input as tf.Tensor2D, ctx);
        }
        const tables = rope === undefined ? undefined : { cos: cos as tf.Tensor4D, sinSigned: sinSigned as tf.Tensor4D };
        const again = { ...ctx, mask: mask as tf.Tensor4D, rope: tables, drop: sites.at(start).drop };
        const recompute = (): tf.Tensor2D => this.block(i, input as tf.Tensor2D, again);
        return this.lora === undefined || loraStart === undefined ? recompute() : this.lora.withDropoutSites(loraStart.at(loraStart.site), recompute);
      },
    });
  }

  private embed(inputIds: tf.Tensor2D, positions: tf.Tensor2D | undefined): tf.Tensor2D {
    const [b, t] = inputIds.shape;
    const n = b * t;
    const d = this.options.dim;
    const gathered = tf.gather(this.weight('embed.tokens.weight'), tf.reshape(inputIds, [n])) as tf.Tensor2D;
    // Gemma: × √dim as a float32 (HF's embed_scale in the weights' dtype); the tied head reads the unscaled table.
    const tokens = this.options.embedScale === undefined ? gathered : (tf.mul(gathered, this.options.embedScale) as tf.Tensor2D);
    if (this.options.position !== 'learned') return tokens;
    const table = this.weight('embed.positions.weight');
    if (positions !== undefined) return tf.add(tokens, tf.gather(table, tf.reshape(positions, [n])));
    // Default 0..T−1: a slice broadcast over the batch (cheaper backward than a gather).
    const rows = tf.slice(table, [0, 0], [t, d]);
    return tf.reshape(tf.add(tf.reshape(tokens, [b, t, d]), rows), [n, d]);
  }

  private attention(
    prefix: string,
    h: tf.Tensor2D,
    ctx: BlockContext & { layer: number },
  ): tf.Tensor2D {
    const { b, t } = ctx;
    const { heads, kvHeads } = this.options;
    const hd = this.headDim;
    const qkNorm = this.options.qkNorm === true;
    const qkv = this.dense(`${prefix}.attn.qkv`, h);
    // With the native kernels and no attention dropout between the products: one fused call
    // (RoPE rotates q and k in the packed layout first). The kernels take 3 equal parts, so
    // grouped-query attention runs the composite below.
    // The fused kernels scale by 1/√headDim: another attnScale runs the composite.
    const scale = this.options.attnScale ?? 1 / Math.sqrt(hd);
    if (kvHeads === heads && this.options.attnScale === undefined && !ctx.dropsProbs && ctx.cache === undefined && canFuseAttention(qkv, ctx.mask, b, heads)) {
      const normed = qkNorm ? this.packedQkNorm(prefix, qkv) : qkv;
      const rotated = ctx.rope === undefined ? normed : applyRopePacked(normed, ctx.rope, b, heads);
      return this.dense(`${prefix}.attn.out`, fusedAttention(rotated, ctx.mask, b, heads) as tf.Tensor2D);
    }
    let [q, k, v] = kvHeads === heads ? tf.split(qkv, 3, 1) : tf.split(qkv, [heads * hd, kvHeads * hd, kvHeads * hd], 1);
    if (qkNorm) {
      q = this.headNorm(`${prefix}.attn.qNorm`, q as tf.Tensor2D);
      k = this.headNorm(`${prefix}.attn.kNorm`, k as tf.Tensor2D);
    }
    // [B·T, n·hd] → [B, n, T, hd]: one 4-D transpose per tensor (5-D transposes are slow on wasm).
    // With one token (a cached decoding step) the transpose moves nothing: a reshape does it.
    const toHeads = (x: tf.Tensor, n: number): tf.Tensor4D => (t === 1 ? tf.reshape(x, [b, n, 1, hd]) : tf.transpose(tf.reshape(x, [b, t, n, hd]), [0, 2, 1, 3]));
    // Scaling q (T·hd values) is cheaper than scaling scores (T·T); RoPE is linear so order is free.
    let qh = toHeads(tf.mul(q, scale), heads);
    let kh = toHeads(k, kvHeads);
    if (ctx.rope !== undefined) {
      qh = applyRope(qh, ctx.rope);
      kh = applyRope(kh, ctx.rope);
    }
    let vh = toHeads(v, kvHeads);
    // The cache holds kvHeads heads: grouping shrinks it by heads / kvHeads.
    if (ctx.cache !== undefined) ({ keys: kh, values: vh } = ctx.cache.extend(ctx.layer, kh, vh));
    const mixed = kvHeads === heads ? attend(qh, kh, vh, ctx) : attendGrouped(qh, kh, vh, ctx);
    const merged = tf.reshape(t === 1 ? mixed : tf.transpose(mixed, [0, 2, 1, 3]), [b * t, heads * hd]) as tf.Tensor2D;
    return this.dense(`${prefix}.attn.out`, merged);
  }

  /** `qkNorm`: RMSNorm over each head of `x [B·T, n·headDim]` with the heads' shared weight `[headDim]` (Qwen3's q_norm / k_norm). */
  private headNorm(prefix: string, x: tf.Tensor2D): tf.Tensor2D {
    const [rows, width] = x.shape;
    const hd = this.headDim;
    const weight = this.normWeight(prefix);
    const normed = rmsNorm(tf.reshape(x, [(rows * width) / hd, hd]), weight, { eps: this.options.normEps, explicitTranspose: this.options.explicitTranspose });
    return tf.reshape(normed, [rows, width]);
  }

  /** {@link headNorm} on the q and k blocks of a packed `qkv` (equal blocks, no grouping), for the fused core. */
  private packedQkNorm(prefix: string, qkv: tf.Tensor2D): tf.Tensor2D {
    const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor2D[];
    return tf.concat([this.headNorm(`${prefix}.attn.qNorm`, q), this.headNorm(`${prefix}.attn.kNorm`, k), v], 1);
  }

  private mlp(prefix: string, h: tf.Tensor2D): tf.Tensor2D {
    const up = this.dense(`${prefix}.mlp.up`, h);
    const activation = this.options.activation;
    const hidden = activation === 'gelu' ? geluTanh(up) : tf.mul(activation === 'swiglu' ? silu(this.dense(`${prefix}.mlp.gate`, h)) : geluTanh(this.dense(`${prefix}.mlp.gate`, h)), up);
    return this.dense(`${prefix}.mlp.down`, hidden as tf.Tensor2D);
  }

  private norm(prefix: string, x: tf.Tensor2D): tf.Tensor2D {
    const o = this.options;
    const normOptions = { eps: o.normEps, explicitTranspose: o.explicitTranspose };
    const weight = this.normWeight(prefix);
    if (o.norm === 'rmsnorm') return rmsNorm(x, weight, normOptions);
    return layerNorm(x, weight, this.params.get(`${prefix}.bias`) as tf.Tensor1D, normOptions);
  }

  /** A norm's scale: its weight, or with `normOffset` 1 the float32 sum `1 + weight` (Gemma; its gradient is the weight's). */
  private normWeight(prefix: string): tf.Tensor1D {
    const weight = this.params.get(`${prefix}.weight`) as tf.Tensor1D;
    return this.options.normOffset === 1 ? (tf.add(weight, 1) as tf.Tensor1D) : weight;
  }

  private dense(prefix: string, x: tf.Tensor2D): tf.Tensor2D {
    const bias = this.params.get(`${prefix}.bias`) as tf.Tensor1D | undefined;
    const explicitTranspose = this.options.explicitTranspose;
    const y = linear(x, this.weight(`${prefix}.weight`), { bias, explicitTranspose });
    // A plain model pays one field test; the adapter adds its low-rank term to targeted layers.
    return this.lora === undefined ? y : this.lora.apply(prefix, x, y, explicitTranspose);
  }

  private weight(name: string): tf.Tensor2D {
    const v = this.params.get(name);
    if (v === undefined) throw new ModelError(`GptModel has no parameter '${name}' (was it disposed?)`);
    return v as tf.Tensor as tf.Tensor2D;
  }

  private dropout(opts: GptForwardOptions): DropoutSites {
    const rate = this.options.dropout;
    if (opts.training !== true || rate === 0) return NO_DROPOUT;
    // Each dropout site gets its own seed (`${base}:${site}`) so masks are independent but reproducible.
    return new DropoutSites(rate, `${opts.dropoutSeed ?? this.dropoutRng.nextUint32()}`);
  }
}
