import * as tf from '@tensorflow/tfjs';
import { TrainingError } from '../errors';

/**
 * Sums gradients of several micro-batches by variable name, for gradient accumulation.
 *
 * Ownership: `add` never disposes its inputs (`take` owns them); the accumulator owns its running
 * sums and disposes each replaced sum immediately, so the tensor count stays flat however many
 * micro-batches are added. `average` returns new tensors owned by the caller. Call `reset` (or `dispose`) when done.
 */
export class GradientAccumulator {
  private readonly sums = new Map<string, tf.Tensor>();
  private added = 0;

  /** Number of `add` calls since the last reset. */
  get count(): number {
    return this.added;
  }

  /** Variable names that have a running sum. */
  get names(): string[] {
    return [...this.sums.keys()];
  }

  /** The running sum for `name` (owned by the accumulator: read it, do not dispose it), if any. */
  sum(name: string): tf.Tensor | undefined {
    return this.sums.get(name);
  }

  /** Adds one micro-batch's gradients; names missing from earlier batches start at this gradient. */
  add(grads: Map<string, tf.Tensor>): void {
    this.checkShapes(grads);
    for (const [name, g] of grads) {
      const prev = this.sums.get(name);
      // tf.clone shares the buffer, so the first micro-batch costs no copy and the caller may dispose `g`.
      this.sums.set(name, prev === undefined ? tf.clone(g) : tf.add(prev, g));
      prev?.dispose();
    }
    this.added += 1;
  }

  /**
   * {@link add} that takes ownership of `grads` (the training loop's own gradients): a name's
   * first gradient becomes its running sum as it is, later ones are disposed once added, so a
   * step costs no clone per parameter. Disposes every one of them when it throws too.
   */
  take(grads: Map<string, tf.Tensor>): void {
    try {
      this.checkShapes(grads);
    } catch (error) {
      tf.dispose([...grads.values()]);
      throw error;
    }
    // A tensor held under two names (a gradient function may return one tensor twice) is kept once.
    const kept = new Set<tf.Tensor>();
    for (const [name, g] of grads) {
      const prev = this.sums.get(name);
      if (prev !== undefined) {
        this.sums.set(name, tf.add(prev, g));
        prev.dispose();
      } else if (kept.has(g)) {
        this.sums.set(name, tf.clone(g));
      } else {
        this.sums.set(name, g);
        kept.add(g);
      }
    }
    for (const g of grads.values()) if (!kept.has(g)) g.dispose();
    this.added += 1;
  }

  /**
   * The mean gradient: each sum divided by `count` (default: the number of `add` calls, i.e. equal
   * micro-batches). Pass the number of examples instead when sums are of per-example-summed losses.
   * Returns new tensors owned by the caller; the running sums are kept until `reset`.
   */
  average(count: number = this.added): Map<string, tf.Tensor> {
    if (this.added > 0 && count === 0) {
      // Weighted accumulation (the trainer passes the summed batch weights): every batch weighed 0.
      throw new TrainingError(
        `Cannot average gradients: ${this.added === 1 ? 'the 1 micro-batch of this step weighs 0' : `the ${this.added} micro-batches of this step weigh 0 in total`} ` +
          "(a batch's weight is its loss tokens or rows, from the trainer's batchWeight()), so no example counts; a step needs a batch with weight > 0.",
      );
    }
    if (!Number.isFinite(count) || count <= 0) throw new TrainingError(`Cannot average gradients over ${count} micro-batches; add at least one first.`);
    const out = new Map<string, tf.Tensor>();
    // One divisor tensor for every sum: tf.div(s, count) would upload the same scalar per parameter.
    const divisor = tf.scalar(count);
    try {
      for (const [name, s] of this.sums) out.set(name, tf.div(s, divisor));
    } finally {
      divisor.dispose();
    }
    return out;
  }

  private checkShapes(grads: Map<string, tf.Tensor>): void {
    for (const [name, g] of grads) {
      const prev = this.sums.get(name);
      if (prev !== undefined && (prev.rank !== g.rank || prev.shape.some((d, i) => d !== g.shape[i]))) {
        throw new TrainingError(`Gradient '${name}' has shape [${g.shape.join(', ')}], but earlier micro-batches had [${prev.shape.join(', ')}].`);
      }
    }
  }

  /** Disposes the running sums and starts over. */
  reset(): void {
    for (const s of this.sums.values()) s.dispose();
    this.sums.clear();
    this.added = 0;
  }

  /** Same as {@link reset}: releases every tensor the accumulator holds. */
  dispose(): void {
    this.reset();
  }
}
