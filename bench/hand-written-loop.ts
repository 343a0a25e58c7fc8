import * as tf from '@tensorflow/tfjs';
import type { LmBatch } from '../src/data/lm-batch';
import { crossEntropyLoss } from '../src/model/cross-entropy-loss';
import { GptModel } from '../src/model/gpt-model';
import type { GptOptions } from '../src/model/gpt-options';
import { Rng } from '../src/random';

/** Hyper-parameters shared by both loops (Floe's defaults). */
export const TRAIN_HPARAMS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, logInterval: 10 } as const;

/** Biases, norm weights and embeddings get no weight decay (Floe's default filter). */
const NO_DECAY = /(^|\.)bias$|norm|^embed\./;

/**
 * The training step as one would write it in plain tfjs, without Floe's Trainer: the same
 * GptModel forward and loss, `tf.variableGrads`, global-norm clipping and AdamW (PyTorch
 * semantics) written inline, and the loss read every `logInterval` steps in one batch.
 */
export class HandWrittenLoop {
  readonly model: GptModel;
  private readonly names: string[];
  private readonly vars: tf.Variable[];
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();
  private readonly pendingLosses: tf.Scalar[] = [];
  private t = 0;
  /** Mean of the losses read at the last log. */
  lastLoss = NaN;

  /** Builds the model exactly as Floe's `gpt` factory does for the same seed. */
  constructor(options: GptOptions, seed: number) {
    this.model = new GptModel(options, new Rng(seed).fork('model'));
    this.names = [...this.model.params.keys()];
    this.vars = [...this.model.params.values()];
  }

  /** One optimizer step on `batch` (not disposed here). */
  async step(batch: LmBatch): Promise<void> {
    const h = TRAIN_HPARAMS;
    const { value, grads } = tf.variableGrads(() => crossEntropyLoss(this.model.forward(batch.inputIds), batch.labels, batch.lossMask), this.vars);
    this.t += 1;
    const bc1 = 1 - Math.pow(h.beta1, this.t);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(h.beta2, this.t));
    tf.tidy(() => {
      const gs = this.vars.map((variable) => grads[variable.name]);
      const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
      const coef = tf.div(h.maxGradNorm, tf.maximum(norm, h.maxGradNorm));
      this.vars.forEach((variable, i) => {
        const name = this.names[i];
        const g = tf.mul(gs[i], coef);
        const prevM = this.m.get(name);
        const prevV = this.v.get(name);
        const m = prevM === undefined ? tf.mul(g, 1 - h.beta1) : tf.add(tf.mul(prevM, h.beta1), tf.mul(g, 1 - h.beta1));
        const v = prevV === undefined ? tf.mul(tf.square(g), 1 - h.beta2) : tf.add(tf.mul(prevV, h.beta2), tf.mul(tf.square(g), 1 - h.beta2));
        const p = NO_DECAY.test(name) ? variable : tf.mul(variable, 1 - h.lr * h.weightDecay);
        variable.assign(tf.sub(p, tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(v), bc2Sqrt), h.eps)), h.lr / bc1)));
        this.m.set(name, tf.keep(m));
        this.v.set(name, tf.keep(v));
        prevM?.dispose();
        prevV?.dispose();
      });
    });
    tf.dispose(Object.values(grads));
    this.pendingLosses.push(value);
    if (this.pendingLosses.length >= h.logInterval) {
      const values = await Promise.all(this.pendingLosses.map((l) => l.data()));
      this.lastLoss = values.reduce((s, x) => s + x[0], 0) / values.length;
      tf.dispose(this.pendingLosses.splice(0));
    }
  }

  /** Frees the model, optimizer state and pending losses. */
  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values(), ...this.pendingLosses]);
    this.m.clear();
    this.v.clear();
    this.pendingLosses.length = 0;
    this.model.dispose();
  }
}
