import * as tf from '@tensorflow/tfjs';
import { DisconnectedLossError } from '../autograd';
import { FloeError, TrainingError } from '../errors';
import { pluginCodeError, pluginFrameOf } from '../registry/registration-site';
import { MicroBatchGradients, microBatchGradients } from './micro-batch-gradients';

/** Where a loss is computed, for messages (`training batch 3 of epoch 1`); built only for an error. */
export type LossSite = () => string;

/**
 * Calls `trainer.loss(batch)` and checks that it returned a scalar tensor. A wrong value, or an
 * error thrown inside (a shape mismatch from data of the wrong shape), becomes a
 * {@link TrainingError} naming the trainer class, `loss()`, the batch's tensor shapes and the
 * first line of plugin code on the way, since tfjs's own message names none of them.
 */
export function checkedLoss<B>(trainer: { loss(batch: B): tf.Scalar }, batch: B, where: LossSite): tf.Scalar {
  const owner = `${trainer.constructor.name || 'Trainer'}.loss()`;
  let value: unknown;
  // tfjs's own frames fill Node's default 10, hiding the plugin line that called it.
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(stackLimit, 50);
  try {
    value = trainer.loss(batch);
  } catch (error) {
    if (error instanceof FloeError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw pluginCodeError(`${owner} threw on ${where()}, batch ${describeBatch(batch)}${pluginFrameOf(error)}: ${message}`, error);
  } finally {
    Error.stackTraceLimit = stackLimit;
  }
  if (value instanceof tf.Tensor && value.rank === 0) return value as tf.Scalar;
  if (value instanceof tf.Tensor) {
    throw new TrainingError(
      `${owner} returned a rank-${value.rank} tensor of shape [${value.shape.join(',')}] on ${where()}; it must return a scalar (rank 0): reduce it, e.g. tf.mean(perExample)`,
    );
  }
  if (value instanceof Promise) {
    void value.catch(() => undefined);
    throw new TrainingError(`${owner} returned a Promise on ${where()}; it runs inside the gradient tape and must return a tf.Scalar synchronously (no async, no await, no data() reads)`);
  }
  throw new TrainingError(`${owner} returned ${describeValue(value)} on ${where()}; it must return a tf.Scalar (a rank-0 tensor), e.g. tf.mean(tf.square(tf.sub(prediction, target)))`);
}

/** `{x: float32[8,3], y: float32[8,1]}`: the batch's tensors, without reading their data. */
export function describeBatch(batch: unknown): string {
  if (batch instanceof tf.Tensor) return tensorShape(batch);
  if (typeof batch !== 'object' || batch === null) return String(batch);
  const parts = Object.entries(batch as Record<string, unknown>)
    .filter(([, v]) => v instanceof tf.Tensor)
    .map(([k, v]) => `${k}: ${tensorShape(v as tf.Tensor)}`);
  return `{${parts.join(', ')}}`;
}

function tensorShape(t: tf.Tensor): string {
  return `${t.dtype}[${t.shape.join(',')}]`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (a missing return?)';
  if (value === null) return 'null';
  if (typeof value === 'number') return `the number ${value} (a plain number has no gradient: compute the loss with tf ops on the batch's tensors)`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${(value as object).constructor?.name ?? 'Object'})` : `a ${typeof value}`;
}

/**
 * {@link microBatchGradients} of `trainer.loss(batch)` for the trainable parameters (those
 * `freeze:` leaves out), checked by {@link checkedLoss}; a loss
 * that no model weight feeds ({@link DisconnectedLossError}) is reported naming the class and the
 * usual causes.
 */
export function checkedLossGradients<B>(
  trainer: { loss(batch: B): tf.Scalar; trainableParams: Map<string, tf.Variable> },
  batch: B,
  where: LossSite,
  weight: number,
): MicroBatchGradients {
  try {
    // Frozen parameters are left out of the tape's sources: their gradient kernels never run.
    return microBatchGradients(() => checkedLoss(trainer, batch, where), trainer.trainableParams, weight);
  } catch (error) {
    if (!(error instanceof DisconnectedLossError)) throw error;
    throw new TrainingError(
      `${trainer.constructor.name || 'Trainer'}.loss() does not depend on any weight in this.model.params on ${where()}, so it has no gradient: ` +
        'compute it with tf ops from the model\'s variables (values read with data()/dataSync()/arraySync() and turned back into tensors, or weights kept outside model.params, are constants)',
      { cause: error },
    );
  }
}

/**
 * `trainer.batchWeight(batch)`, checked: an override returning `undefined` or `NaN` (a batch field
 * that does not exist) otherwise failed inside tfjs ("Argument 'b' passed to 'mul' must be a Tensor").
 */
export function checkedBatchWeight<B>(trainer: { batchWeight(batch: B): number }, batch: B): number {
  const weight: unknown = trainer.batchWeight(batch);
  if (typeof weight === 'number' && Number.isFinite(weight) && weight >= 0) return weight;
  throw new TrainingError(
    `${trainer.constructor.name || 'Trainer'}.batchWeight() returned ${typeof weight === 'number' ? String(weight) : weight === null ? 'null' : typeof weight} for batch ${describeBatch(batch)}; ` +
      "it must return a finite number ≥ 0, the batch's weight in the gradient average (e.g. its example or token count)",
  );
}

/** Fields every metrics.jsonl record has, which no metric may be called. */
const RECORD_FIELDS = ['event', 'step', 'epoch', 'elapsed', 'time', 'memory'];

/**
 * What `trainer.evaluate()` returned, checked: an object of numbers. A tensor or `undefined`
 * otherwise failed in whichever callback read it first (`ProgressCallback ... v.toFixed is not a
 * function`), blaming a built-in part for the override's mistake.
 */
export function checkedMetrics(trainer: object, metrics: unknown): Record<string, number> {
  const owner = `${trainer.constructor.name || 'Trainer'}.evaluate()`;
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics) || metrics instanceof tf.Tensor) {
    const what = metrics === null ? 'null' : Array.isArray(metrics) ? 'an array' : metrics instanceof tf.Tensor ? 'a tensor' : typeof metrics;
    throw new TrainingError(`${owner} returned ${what}; it must return an object of numbers, e.g. { 'eval/loss': 1.23 } ({} when there is nothing to report)`);
  }
  // metrics.jsonl writes them beside the record's own fields: a metric `step` would move the record.
  const taken = Object.keys(metrics).filter((k) => RECORD_FIELDS.includes(k));
  if (taken.length > 0) {
    const names = taken.map((k) => `'${k}'`).join(', ');
    throw new TrainingError(`${owner} returned ${names}, which metrics.jsonl uses for each record itself (${RECORD_FIELDS.join(', ')}); name ${taken.length === 1 ? 'it' : 'them'} '${taken.map((k) => `eval/${k}`).join("', '")}' instead`);
  }
  const wrong = Object.entries(metrics).filter(([, v]) => typeof v !== 'number');
  if (wrong.length === 0) return metrics as Record<string, number>;
  const described = wrong.map(([k, v]) => `'${k}' is ${v instanceof tf.Tensor ? 'a tensor (read it first: (await t.data())[0], then dispose it)' : v === null ? 'null' : typeof v}`);
  throw new TrainingError(`${owner} returned metrics that are not numbers: ${described.join('; ')}`);
}
