import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { gptHeadDim, ResolvedGptOptions } from './gpt-options';
import { ModelError } from './model-error';

/** How a parameter starts: N(0, std²), N(0, (std/√(2·layers))²) for residual outputs, 0 or 1. */
export type GptParamInit = 'normal' | 'residual' | 'zeros' | 'ones';

/** Name, shape and initialisation of one model parameter. */
export interface GptParamSpec {
  /** Dotted PyTorch-like name, e.g. `blocks.0.attn.qkv.weight`. */
  name: string;
  /** Shape; linear weights are `[in, out]`. */
  shape: number[];
  /** Initialisation rule. */
  init: GptParamInit;
}

/** Whether the linear layer `prefix` (`blocks.0.attn.qkv`, `lm_head`) has a bias under `o.bias`. */
export function gptLinearHasBias(o: Pick<ResolvedGptOptions, 'bias'>, prefix: string): boolean {
  return o.bias === true || (o.bias === 'qkv' && prefix.endsWith('.attn.qkv'));
}

/**
 * Every parameter of a model with these options, in a stable order. Linear weights are stored
 * `[in, out]` (transpose to get PyTorch's `[out, in]`); `attn.qkv.weight` is
 * `[D, heads·headDim + 2·kvHeads·headDim]` (`[D, 3D]` unless grouped or `headDim` is set) with
 * columns `[q | k | v]`, each block split into heads `h·headDim … (h+1)·headDim − 1` (`heads`
 * query heads, `kvHeads` key and value heads); `attn.out.weight` is `[heads·headDim, D]`. With
 * `qkNorm`, `attn.qNorm.weight` and `attn.kNorm.weight` `[headDim]` follow `attn.qkv`; with
 * `sandwichNorm`, `postAttnNorm` follows `attn.out` and `postMlpNorm` `mlp.down`. Norm weights
 * start at 1, or 0 with `normOffset` 1.
 */
export function gptParamSpecs(o: ResolvedGptOptions): GptParamSpec[] {
  const d = o.dim;
  const headDim = gptHeadDim(o);
  const qDim = headDim * o.heads;
  const kvDim = headDim * o.kvHeads;
  const specs: GptParamSpec[] = [];
  const add = (name: string, shape: number[], init: GptParamInit): void => {
    specs.push({ name, shape, init });
  };
  const addLinear = (prefix: string, inDim: number, outDim: number, init: GptParamInit): void => {
    add(`${prefix}.weight`, [inDim, outDim], init);
    if (gptLinearHasBias(o, prefix)) add(`${prefix}.bias`, [outDim], 'zeros');
  };
  // Gemma's norms scale by 1 + w: their weights start at 0, so every norm starts as the identity scale.
  const normInit: GptParamInit = o.normOffset === 1 ? 'zeros' : 'ones';
  const addNorm = (prefix: string): void => {
    add(`${prefix}.weight`, [d], normInit);
    if (o.norm === 'layernorm') add(`${prefix}.bias`, [d], 'zeros');
  };
  add('embed.tokens.weight', [o.vocabSize, d], 'normal');
  if (o.position === 'learned') add('embed.positions.weight', [o.maxLength, d], 'normal');
  for (let i = 0; i < o.layers; i++) {
    const p = `blocks.${i}`;
    addNorm(`${p}.norm1`);
    addLinear(`${p}.attn.qkv`, d, qDim + 2 * kvDim, 'normal');
    if (o.qkNorm === true) {
      add(`${p}.attn.qNorm.weight`, [headDim], normInit);
      add(`${p}.attn.kNorm.weight`, [headDim], normInit);
    }
    addLinear(`${p}.attn.out`, qDim, d, 'residual');
    if (o.sandwichNorm === true) addNorm(`${p}.postAttnNorm`);
    addNorm(`${p}.norm2`);
    addLinear(`${p}.mlp.up`, d, o.ffnDim, 'normal');
    if (o.activation !== 'gelu') addLinear(`${p}.mlp.gate`, d, o.ffnDim, 'normal');
    addLinear(`${p}.mlp.down`, o.ffnDim, d, 'residual');
    if (o.sandwichNorm === true) addNorm(`${p}.postMlpNorm`);
  }
  addNorm('norm');
  if (!o.tieEmbeddings) addLinear('lm_head', d, o.vocabSize, 'normal');
  return specs;
}

/**
 * Creates the trainable variables. Values are drawn in JS from a per-parameter fork of `rng`
 * (not from tfjs' RNG), so a seed gives bit-identical weights on every backend. Residual output
 * projections use the GPT-2 scaling `initStd / √(2·layers)`.
 */
export function createGptParams(options: ResolvedGptOptions, rng: Rng): Map<string, tf.Variable> {
  const params = new Map<string, tf.Variable>();
  const residualStd = options.initStd / Math.sqrt(2 * options.layers);
  try {
    for (const spec of gptParamSpecs(options)) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (spec.init === 'ones') values.fill(1);
      if (spec.init === 'normal' || spec.init === 'residual') {
        const std = spec.init === 'normal' ? options.initStd : residualStd;
        const r = rng.fork(spec.name);
        for (let i = 0; i < size; i++) values[i] = r.normal() * std;
      }
      // No variable name: tfjs names are global, and two models must be able to coexist.
      const initial = tf.tensor(values, spec.shape, 'float32');
      params.set(spec.name, tf.variable(initial, true));
      initial.dispose();
    }
  } catch (err) {
    for (const v of params.values()) v.dispose();
    throw err;
  }
  return params;
}

/**
 * Variables holding the given values, with no init drawn (a merge or a load that overwrites every
 * weight anyway): one per parameter of `options`, in {@link gptParamSpecs} order, each checked by
 * name and shape. A variable shares its tensor's data until assigned (tfjs counts references), so
 * nothing is copied; the caller still owns, and disposes, `weights`.
 */
export function gptParamsFrom(options: ResolvedGptOptions, weights: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Variable> {
  const specs = gptParamSpecs(options);
  const problems: string[] = [];
  for (const spec of specs) {
    const value = weights.get(spec.name);
    if (value === undefined) problems.push(`'${spec.name}' is missing`);
    else if (value.shape.join() !== spec.shape.join() || value.dtype !== 'float32') problems.push(`'${spec.name}' is ${value.dtype} [${value.shape.join(', ')}], the model needs float32 [${spec.shape.join(', ')}]`);
  }
  const known = new Set(specs.map((s) => s.name));
  for (const name of weights.keys()) if (!known.has(name)) problems.push(`'${name}' is not a parameter of the model`);
  if (problems.length > 0) throw new ModelError(`GptModel weights do not fit the options: ${problems.join('; ')}. The parameters are: ${specs.map((s) => s.name).join(', ')}`);
  // No variable name: tfjs names are global, and two models must be able to coexist.
  return new Map(specs.map((spec) => [spec.name, tf.variable(weights.get(spec.name) as tf.Tensor, true)]));
}

/**
 * Advances `rng` exactly as {@link createGptParams} does (one fork per drawn parameter) without
 * drawing: a model given its weights then takes its LoRA factors and dropout stream from the
 * same state as after a random init, so a fixed seed gives the same run either way.
 */
export function skipGptParamDraws(options: ResolvedGptOptions, rng: Rng): void {
  for (const spec of gptParamSpecs(options)) if (spec.init === 'normal' || spec.init === 'residual') rng.nextUint32();
}
