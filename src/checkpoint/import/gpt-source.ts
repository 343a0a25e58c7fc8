import * as tf from '@tensorflow/tfjs';
import type { GptOptions } from '../../model/gpt-options';

/** Options that fix a GPT's shape and maths (everything but dropout and init). */
export const GPT_ARCHITECTURE_KEYS = [
  'vocabSize',
  'maxLength',
  'layers',
  'heads',
  'kvHeads',
  'dim',
  'headDim',
  'ffnDim',
  'norm',
  'position',
  'activation',
  'tieEmbeddings',
  'bias',
  'qkNorm',
  'normEps',
  'ropeTheta',
  'ropeScaling',
  'normOffset',
  'embedScale',
  'sandwichNorm',
  'attnScale',
  'slidingWindow',
  'slidingWindowPattern',
  'ropeLocalTheta',
] as const;

/** One architecture option name. */
export type GptArchitectureKey = (typeof GPT_ARCHITECTURE_KEYS)[number];

/** Architecture options, any subset. */
export type GptArchitecture = Partial<Pick<GptOptions, GptArchitectureKey>>;

/** Picks the architecture options out of a (resolved) options object. */
export function pickGptArchitecture(options: Record<string, unknown>): GptArchitecture {
  const out: Record<string, unknown> = {};
  for (const key of GPT_ARCHITECTURE_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out as GptArchitecture;
}

/** Where pretrained GPT weights come from (a recipe's `model: { type: gpt, from: ... }`). */
export interface GptSource {
  /** `floe`: a Floe checkpoint or export; `hf-gpt2` / `hf-llama` / `hf-gemma3`: a HuggingFace GPT-2 / Llama-family / Gemma 3 folder. */
  kind: 'floe' | 'hf-gpt2' | 'hf-llama' | 'hf-gemma3';
  /** The folder loaded from (absolute). */
  dir: string;
  /** File the architecture was read from, named in messages. */
  configFile: string;
  /** The source's architecture; it overrides the recipe's. */
  architecture: GptArchitecture;
  /** The source's own name of each architecture field, for messages (`layers` → `n_layer`). */
  fieldNames: Partial<Record<GptArchitectureKey, string>>;
  /**
   * Assigns the source's weights to the targets of a model with the merged architecture (its
   * variables, or a {@link collectWeights} collector that builds the model from them). Every
   * target must be covered and every source tensor used (or knowingly ignored), except the
   * `optional` ones (LoRA factors), which keep their values when the source lacks them; otherwise
   * a CheckpointError names the file and the names.
   */
  loadWeights(params: ReadonlyMap<string, WeightTarget>, options?: LoadSourceWeightsOptions): Promise<void>;
}

/** Where a load puts one weight (a `tf.Variable` is one). */
export interface WeightTarget {
  /** The weight's shape. */
  readonly shape: number[];
  /** The weight's dtype. */
  readonly dtype: tf.DataType;
  /** Takes `value` (of `shape`); the caller still disposes its own handle. */
  assign(value: tf.Tensor): void;
}

/**
 * Run-container token of a {@link GptSource} already opened and checked (by `loadCheckpointModel`):
 * the GPT factory uses it for a `from` naming the same folder instead of opening (and hashing) it again.
 */
export const CHECKED_GPT_SOURCE = Symbol('floe.checkedGptSource');

/** Options of {@link GptSource.loadWeights}. */
export interface LoadSourceWeightsOptions {
  /** Parameters the source may lack (a model's new LoRA factors); loaded when it has them. */
  optional?: ReadonlySet<string>;
}
