import * as tf from '@tensorflow/tfjs';
import { isPlainObject } from '../config/compose';
import { SourceMap } from '../config/source-map';
import { buildConfig } from '../config/validate-config';
import { ConfigIssue } from '../errors';
import { matchesAny } from '../optim/decay-filter';
import { unmatchedPatternIssues } from '../optim/unmatched-patterns';
import { Rng } from '../random';
import { linear } from './dense';
import { DropoutSites, NO_DROPOUT } from './dropout-sites';
import type { ModelAdapter } from './floe-model';
import type { ResolvedGptOptions } from './gpt-options';
import { gptParamSpecs } from './gpt-params';
import { DEFAULT_LORA_TARGETS, LoraConfig } from './lora-config';

/** Suffixes of the two LoRA factors of a dense layer `p`: `p.lora_a` `[in, rank]`, `p.lora_b` `[rank, out]`. */
export const LORA_SUFFIXES = ['lora_a', 'lora_b'] as const;

/** True for a LoRA factor's name (`blocks.0.attn.qkv.lora_a`). */
export function isLoraParamName(name: string): boolean {
  return LORA_SUFFIXES.some((suffix) => name.endsWith(`.${suffix}`));
}

/**
 * Low-rank adapters (LoRA) on a GPT's dense layers: `y = dense(x) + (alpha / rank) · (dropout(x) · A) · B`.
 * Only `A` and `B` train; the base weights stay fixed.
 */
export interface LoraOptions {
  /** Rank of the update `A · B`: an integer from 1 (at most `GPT_LIMITS.dim`). */
  rank: number;
  /** Scale numerator: the update is multiplied by `alpha / rank`. Default `rank` (scale 1). */
  alpha?: number;
  /** Globs over dense layer names (`blocks.0.attn.qkv`, `*.mlp.*`). Default {@link DEFAULT_LORA_TARGETS}. */
  targets?: string[];
  /** Dropout on the adapter's input while training, in [0, 0.9] (as a recipe's). Default 0. */
  dropout?: number;
}

/** {@link LoraOptions} with every default filled in. */
export type ResolvedLoraOptions = Required<LoraOptions>;

/** A dense layer of a GPT: its name (the weight's prefix) and sizes. */
export interface DenseLayer {
  /** E.g. `blocks.0.attn.qkv` (weight `blocks.0.attn.qkv.weight`). */
  name: string;
  /** Input width. */
  inDim: number;
  /** Output width. */
  outDim: number;
}

/** Every dense layer `GptModel.dense` runs (the tied LM head reuses the embedding and is not one). */
export function gptDenseLayers(o: ResolvedGptOptions): DenseLayer[] {
  return gptParamSpecs(o)
    .filter((s) => s.name.endsWith('.weight') && s.shape.length === 2 && !s.name.startsWith('embed.'))
    .map((s) => ({ name: s.name.slice(0, -'.weight'.length), inDim: s.shape[0], outDim: s.shape[1] }));
}

/** Fills LoRA defaults (alpha = rank, the attention projections, no dropout). */
export function resolveLoraOptions(lora: LoraOptions): ResolvedLoraOptions {
  return { rank: lora.rank, alpha: lora.alpha ?? lora.rank, targets: [...(lora.targets ?? DEFAULT_LORA_TARGETS)], dropout: lora.dropout ?? 0 };
}

/**
 * Problems of LoRA options at `path` (`lora`; `model.lora` in a recipe), by the recipe's own rules
 * for `model.lora` ({@link LoraConfig}: types, ranges, unknown keys), so a library call gets the
 * same reason for a bad value as a recipe does. Without locations: a recipe's validation adds them.
 */
export function loraOptionIssues(lora: unknown, path: string): ConfigIssue[] {
  // A LoraConfig (or other class instance) is read as the mapping of its fields.
  const plain = typeof lora === 'object' && lora !== null && !Array.isArray(lora) && !isPlainObject(lora) ? { ...lora } : lora;
  return buildConfig(LoraConfig, plain, { path, sourceMap: new SourceMap() }).issues;
}

/**
 * A target glob that matches no dense layer of the model, at `path.targets[i]`, listing the
 * layers. Checked once the architecture is final (`model.from` may change it), after the options.
 */
export function loraTargetIssues(targets: readonly string[], layers: readonly DenseLayer[], path: string): ConfigIssue[] {
  const names = layers.map((l) => l.name);
  return unmatchedPatternIssues(targets, names, { path: `${path}.targets`, noun: 'dense layer', label: 'Targets' });
}

/** The dense layers `targets` adapts, in the model's order. */
function loraTargetLayers(layers: readonly DenseLayer[], targets: readonly string[]): DenseLayer[] {
  return layers.filter((l) => matchesAny(l.name, targets));
}

/**
 * Names and shapes of the LoRA factors a model with these options has (`p.lora_a` `[in, rank]`,
 * `p.lora_b` `[rank, out]`, in the model's order); none without `lora`. Known before the model
 * is built, so a load can read them alongside the base weights.
 */
export function loraParamShapes(options: ResolvedGptOptions): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  if (options.lora === undefined) return shapes;
  for (const layer of loraTargetLayers(gptDenseLayers(options), options.lora.targets)) {
    shapes.set(`${layer.name}.lora_a`, [layer.inDim, options.lora.rank]);
    shapes.set(`${layer.name}.lora_b`, [options.lora.rank, layer.outDim]);
  }
  return shapes;
}

/** One adapted layer: its two factors (also in the model's `params`). */
interface Adapter {
  a: tf.Variable;
  b: tf.Variable;
}

/**
 * The LoRA factors of a model and the forward term they add. The variables are created here and
 * handed to the model's `params` (so checkpoints, optimizers and `freeze` see them by name).
 */
export class LoraAdapters implements ModelAdapter {
  /** The update's scale, `alpha / rank`. */
  readonly scale: number;
  /** Adapted dense layers, in the model's order. */
  readonly layers: readonly string[];
  private readonly adapters = new Map<string, Adapter>();
  private readonly dropoutRng: Rng;
  private sites: DropoutSites = NO_DROPOUT;
  private off = false;

  /**
   * Creates `p.lora_a` (uniform ±1/√in, from `rng.fork(name)`) and `p.lora_b` (zeros, so the model
   * starts exactly as its base) for each targeted layer `p`, adding them to `params`.
   */
  constructor(
    /** The resolved LoRA options. */
    readonly options: ResolvedLoraOptions,
    model: { options: ResolvedGptOptions; params: Map<string, tf.Variable> },
    rng: Rng,
  ) {
    this.scale = options.alpha / options.rank;
    const targeted = loraTargetLayers(gptDenseLayers(model.options), options.targets);
    this.layers = targeted.map((l) => l.name);
    for (const layer of targeted) {
      const bound = 1 / Math.sqrt(layer.inDim);
      const r = rng.fork(`${layer.name}.lora_a`);
      const a = Float32Array.from({ length: layer.inDim * options.rank }, () => (2 * r.float() - 1) * bound);
      const adapter = {
        a: tf.tidy(() => tf.variable(tf.tensor2d(a, [layer.inDim, options.rank]), true)),
        b: tf.tidy(() => tf.variable(tf.zeros([options.rank, layer.outDim]), true)),
      };
      this.adapters.set(layer.name, adapter);
      model.params.set(`${layer.name}.lora_a`, adapter.a);
      model.params.set(`${layer.name}.lora_b`, adapter.b);
    }
    this.dropoutRng = rng.fork('dropout');
  }

  /** Names of the LoRA parameters, in the model's order. */
  get paramNames(): string[] {
    return this.layers.flatMap((name) => LORA_SUFFIXES.map((s) => `${name}.${s}`));
  }

  /** `lora: rank 4, alpha 8 on 2 dense layers (blocks.0.attn.qkv, ...)`. */
  describe(): string {
    const { rank, alpha, dropout } = this.options;
    const shown = this.layers.length > 6 ? `${this.layers.slice(0, 6).join(', ')}, ...` : this.layers.join(', ');
    return `lora: rank ${rank}, alpha ${alpha}${dropout > 0 ? `, dropout ${dropout}` : ''} on ${this.layers.length} dense layer${this.layers.length === 1 ? '' : 's'} (${shown})`;
  }

  /** Starts a forward call: its dropout masks (training with `dropout > 0`), seeded like the model's own. */
  begin(opts: { training?: boolean; dropoutSeed?: number }): void {
    const rate = this.options.dropout;
    if (opts.training !== true || rate === 0) {
      this.sites = NO_DROPOUT;
      return;
    }
    const base = opts.dropoutSeed ?? this.dropoutRng.nextUint32();
    this.sites = new DropoutSites(rate, `${base}:lora`);
  }

  /** The current call's dropout from its next site on, as a copy: a checkpointed block replays its masks from it. */
  dropoutSites(): DropoutSites {
    return this.sites.at(this.sites.site);
  }

  /** Runs `fn` with `sites` as the adapters' dropout (a block's recompute), then restores the current call's. */
  withDropoutSites<T>(sites: DropoutSites, fn: () => T): T {
    const current = this.sites;
    this.sites = sites;
    try {
      return fn();
    } finally {
      this.sites = current;
    }
  }

  /**
   * Runs `fn` with every adapter switched off: the model's forward is its base model's (DPO's
   * reference model without a copy of the weights). The factors are not read, so no gradient reaches them.
   */
  withoutAdapters<T>(fn: () => T): T {
    const was = this.off;
    this.off = true;
    try {
      return fn();
    } finally {
      this.off = was;
    }
  }

  /** `y + scale · (dropout(x) · A) · B` when layer `name` is adapted (and adapters are on), else `y` itself. */
  apply(name: string, x: tf.Tensor2D, y: tf.Tensor2D, explicitTranspose: boolean): tf.Tensor2D {
    const adapter = this.adapters.get(name);
    if (adapter === undefined || this.off) return y;
    const product = linear(this.sites.drop(x), adapter.a as tf.Tensor as tf.Tensor2D, { explicitTranspose });
    // Scaling the [N, rank] product costs rank columns instead of out; scale 1 (alpha = rank, the default) costs nothing.
    const down = this.scale === 1 ? product : (tf.mul(product, this.scale) as tf.Tensor2D);
    return tf.add(y, linear(down, adapter.b as tf.Tensor as tf.Tensor2D, { explicitTranspose }));
  }

  /** `W + scale · A · B` for layer `name` (its stored `[in, out]` layout), a new tensor. */
  merged(name: string, weight: tf.Tensor2D): tf.Tensor2D {
    const adapter = this.adapters.get(name);
    if (adapter === undefined) return weight.clone();
    return tf.tidy(() => tf.add(weight, tf.mul(tf.matMul(adapter.a as tf.Tensor2D, adapter.b as tf.Tensor2D), this.scale)));
  }
}
