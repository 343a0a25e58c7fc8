import * as tf from '@tensorflow/tfjs';

/**
 * Holds per-step scalar tensors (loss, grad norm) until the logger needs them, then reads them
 * all in one batch — no synchronous per-step read in the hot loop.
 */
export class MetricTracker {
  private pending = new Map<string, { tensors: tf.Scalar[]; weights: number[] }>();

  /** Keeps `value` (the tracker now owns it) with a weight for the weighted mean. */
  add(name: string, value: tf.Scalar, weight = 1): void {
    let entry = this.pending.get(name);
    if (entry === undefined) {
      entry = { tensors: [], weights: [] };
      this.pending.set(name, entry);
    }
    entry.tensors.push(value);
    entry.weights.push(weight);
  }

  /** Number of values waiting under `name`. */
  count(name: string): number {
    return this.pending.get(name)?.tensors.length ?? 0;
  }

  /** Keeps the first `count` values under `name` and disposes the rest (those of a step that never completed). */
  truncate(name: string, count: number): void {
    const entry = this.pending.get(name);
    if (entry === undefined || entry.tensors.length <= count) return;
    tf.dispose(entry.tensors.splice(count));
    entry.weights.splice(count);
  }

  /** Reads every pending value, disposes them, returns weighted means and the last values. */
  async flush(): Promise<{ mean: Record<string, number>; last: Record<string, number> }> {
    const entries = [...this.pending.entries()];
    this.pending = new Map();
    const mean: Record<string, number> = {};
    const last: Record<string, number> = {};
    try {
      const values = await Promise.all(entries.map(([, e]) => Promise.all(e.tensors.map((t) => t.data()))));
      entries.forEach(([name, e], i) => {
        let sum = 0;
        let weight = 0;
        values[i].forEach((v, j) => {
          sum += v[0] * e.weights[j];
          weight += e.weights[j];
        });
        mean[name] = weight === 0 ? NaN : sum / weight;
        last[name] = values[i][values[i].length - 1][0];
      });
    } finally {
      for (const [, e] of entries) tf.dispose(e.tensors);
    }
    return { mean, last };
  }

  /** Disposes pending values without reading them. */
  dispose(): void {
    for (const e of this.pending.values()) tf.dispose(e.tensors);
    this.pending.clear();
  }
}
