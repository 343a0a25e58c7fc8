import * as tf from '@tensorflow/tfjs';
import { GptModel, GptOptions, KvCache } from '../../src/model';
import { Rng } from '../../src/random';
import { RefWeight } from './reference-gpt';

/** A tiny model for tests (V=7, D=8, 2 heads, 1 layer unless overridden). */
export function tinyModel(overrides: Partial<GptOptions> = {}, seed = 1): GptModel {
  return new GptModel({ vocabSize: 7, maxLength: 16, layers: 1, heads: 2, dim: 8, ffnDim: 12, ...overrides }, new Rng(seed));
}

/** Overwrites every parameter with N(0, std²) values so biases and gains matter in comparisons. */
export function randomizeParams(model: GptModel, seed: number, std = 0.5): void {
  const rng = new Rng(seed);
  for (const v of model.params.values()) {
    const values = Float32Array.from({ length: v.size }, () => rng.normal() * std);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }
}

/** Reads every parameter into plain arrays. */
export async function readWeights(model: GptModel): Promise<Map<string, RefWeight>> {
  const out = new Map<string, RefWeight>();
  for (const [name, v] of model.params) out.set(name, { data: (await v.data()) as Float32Array, shape: v.shape });
  return out;
}

/** Runs forward on plain arrays and returns logits as a flat array. */
export async function logitsOf(model: GptModel, ids: number[][], extra: { positions?: number[][]; segmentIds?: number[][] } = {}): Promise<Float32Array> {
  const t = tf.tidy(() =>
    model.forward(tf.tensor2d(ids, undefined, 'int32'), {
      positions: extra.positions === undefined ? undefined : tf.tensor2d(extra.positions, undefined, 'int32'),
      segmentIds: extra.segmentIds === undefined ? undefined : tf.tensor2d(extra.segmentIds, undefined, 'int32'),
    }),
  );
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Index of the largest value (the first one on ties), as greedy decoding picks a token. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Logits `[B, T, V]` (row-major, as a full forward gives them) of `rows` fed through one
 * {@link KvCache} in pieces of the given lengths; checks the cache grows by each piece.
 */
export async function cachedLogits(model: GptModel, rows: number[][], pieces: number[]): Promise<Float32Array> {
  const cache = new KvCache();
  const v = model.options.vocabSize;
  const perRow: number[][] = rows.map(() => []);
  try {
    let at = 0;
    for (const n of pieces) {
      const logits = tf.tidy(() => model.forward(tf.tensor2d(rows.map((r) => r.slice(at, at + n)), undefined, 'int32'), { cache }));
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      rows.forEach((_, b) => perRow[b].push(...values.subarray(b * n * v, (b + 1) * n * v)));
      at += n;
      if (cache.length !== at) throw new Error(`the cache holds ${cache.length} positions after ${at} were fed`);
    }
  } finally {
    cache.dispose();
  }
  return Float32Array.from(perRow.flat());
}
