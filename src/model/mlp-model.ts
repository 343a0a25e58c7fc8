import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { linear } from './dense';
import { geluTanh, silu } from './layers';
import { ModelError } from './model-error';
import { PredictOptions, SupervisedModel } from './supervised-model';

/** Hidden-layer activations of the MLP. */
export const MLP_ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'gelu', 'silu', 'elu', 'linear'] as const;
/** A hidden-layer activation. */
export type MlpActivation = (typeof MLP_ACTIVATIONS)[number];

/** Activations of the output layer (`linear` for regression and for logits). */
export const MLP_OUTPUT_ACTIVATIONS = ['linear', 'sigmoid', 'softmax', 'tanh'] as const;
/** An output activation. */
export type MlpOutputActivation = (typeof MLP_OUTPUT_ACTIVATIONS)[number];

/** Shape and behaviour of an {@link MlpModel}. */
export interface MlpOptions {
  /** Features per row. */
  inputSize: number;
  /** Outputs per row. */
  outputSize: number;
  /** Width of each hidden layer, in order (empty: a linear model). */
  hidden: readonly number[];
  /** Hidden-layer activation. */
  activation: MlpActivation;
  /** Dropout after each hidden activation, in training only. */
  dropout: number;
  /** Output activation. */
  outputActivation: MlpOutputActivation;
}

/**
 * A multi-layer perceptron. Weights are `layers.<i>.weight` `[in, out]` and `layers.<i>.bias`
 * per hidden layer, then `output.weight` and `output.bias`; initialised from a seeded {@link Rng}
 * (He-uniform before ReLU-like activations, Glorot-uniform otherwise; biases 0).
 */
export class MlpModel implements SupervisedModel {
  readonly params = new Map<string, tf.Variable>();
  private readonly dropoutRng: Rng;

  constructor(
    /** Layer widths and activations. */
    readonly options: MlpOptions,
    rng: Rng,
  ) {
    const widths = [options.inputSize, ...options.hidden, options.outputSize];
    const reluLike = ['relu', 'gelu', 'silu', 'elu'].includes(options.activation);
    for (let i = 0; i + 1 < widths.length; i++) {
      const last = i + 2 === widths.length;
      const prefix = last ? 'output' : `layers.${i}`;
      const [fanIn, fanOut] = [widths[i], widths[i + 1]];
      const limit = !last && reluLike ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
      const layerRng = rng.fork(prefix);
      const w = Float32Array.from({ length: fanIn * fanOut }, () => (layerRng.float() * 2 - 1) * limit);
      // Variables outlive the tidy; the initial-value tensors they were made from do not.
      tf.tidy(() => {
        this.params.set(`${prefix}.weight`, tf.variable(tf.tensor2d(w, [fanIn, fanOut])));
        this.params.set(`${prefix}.bias`, tf.variable(tf.zeros([fanOut])));
      });
    }
    this.dropoutRng = rng.fork('dropout');
  }

  get inputSize(): number {
    return this.options.inputSize;
  }
  get outputSize(): number {
    return this.options.outputSize;
  }

  predict(x: tf.Tensor2D, options: PredictOptions): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inputSize) {
      throw new ModelError(`MlpModel.predict expects features [N, ${this.inputSize}], got [${x.shape.join(', ')}]`);
    }
    const { dropout, activation, outputActivation, hidden } = this.options;
    const drop = options.training && dropout > 0;
    const seed = drop ? (options.dropoutSeed ?? this.dropoutRng.nextUint32()) : 0;
    return tf.tidy(() => {
      let h = x;
      for (let i = 0; i < hidden.length; i++) {
        h = activate(linear(h, this.weight(`layers.${i}.weight`), { bias: this.weight(`layers.${i}.bias`) as tf.Tensor as tf.Tensor1D }), activation);
        if (drop) h = tf.dropout(h, dropout, undefined, `${seed}:${i}`) as tf.Tensor2D;
      }
      const out = linear(h, this.weight('output.weight'), { bias: this.weight('output.bias') as tf.Tensor as tf.Tensor1D });
      return outputActivation === 'linear' ? out : outputActivation === 'softmax' ? tf.softmax(out) : activate(out, outputActivation);
    });
  }

  parameterCount(): number {
    return [...this.params.values()].reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }

  private weight(name: string): tf.Tensor2D {
    const v = this.params.get(name);
    if (v === undefined) throw new ModelError(`MlpModel has no parameter '${name}' (was it disposed?)`);
    return v as tf.Tensor as tf.Tensor2D;
  }
}

/** Applies an elementwise activation. */
function activate(x: tf.Tensor2D, activation: MlpActivation | 'sigmoid' | 'tanh'): tf.Tensor2D {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'gelu':
      return geluTanh(x);
    case 'silu':
      return silu(x);
    case 'elu':
      return tf.elu(x);
    default:
      return x;
  }
}
