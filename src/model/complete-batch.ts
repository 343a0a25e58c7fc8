import * as tf from '@tensorflow/tfjs';
import { GptModel } from './gpt-model';
import { KvCache } from './kv-cache';

/** Options of {@link completeBatch}. */
export interface CompleteBatchOptions {
  /** Most tokens to add to each prompt. */
  maxNewTokens: number;
  /** A row stops when it produces this id. */
  stopTokenId: number;
  /** Id filling the unused tail of shorter rows. */
  padId: number;
  /** Rows per forward pass (bounds memory). Default 128. */
  chunkSize?: number;
  /**
   * Run the prompts once and then one token per row per step against a {@link KvCache} (until it
   * holds `maxLength` tokens). Default true; false re-runs every row whole at each step.
   */
  kvCache?: boolean;
}

/** Where a chunk's completions stand: its rows (prompt + added ids), what was added, which stopped. */
interface ChunkState {
  rows: number[][];
  added: number[][];
  done: boolean[];
}

/**
 * Greedy completions of many prompts at once: each step runs one forward pass over all rows and
 * appends each unfinished row's argmax. With the KV cache (default) the prompts run once and each
 * step feeds one token per row; past the cache's `maxLength` tokens, or without it, each step runs
 * every row whole (right-padded; causal attention keeps the padding from affecting earlier
 * positions). Returns the new ids per prompt, without the stop id.
 */
export async function completeBatch(model: GptModel, prompts: readonly number[][], options: CompleteBatchOptions): Promise<number[][]> {
  const out: number[][] = [];
  const chunk = options.chunkSize ?? 128;
  for (let i = 0; i < prompts.length; i += chunk) out.push(...(await completeChunk(model, prompts.slice(i, i + chunk), options)));
  return out;
}

async function completeChunk(model: GptModel, prompts: readonly number[][], options: CompleteBatchOptions): Promise<number[][]> {
  const state: ChunkState = { rows: prompts.map((p) => [...p]), added: prompts.map(() => []), done: prompts.map(() => false) };
  const steps = options.kvCache === false ? 0 : await cachedSteps(model, state, options);
  await wholeRowSteps(model, state, options, options.maxNewTokens - steps);
  return state.added;
}

/** Appends `id` to row `r`, or marks it done on the stop id. */
function take(state: ChunkState, r: number, id: number, stopTokenId: number): void {
  if (id === stopTokenId) state.done[r] = true;
  else {
    state.rows[r].push(id);
    state.added[r].push(id);
  }
}

/** Whether row `r` still generates (not stopped, shorter than the model's context). */
function isActive(state: ChunkState, r: number, maxLength: number): boolean {
  return !state.done[r] && state.rows[r].length < maxLength;
}

/**
 * Steps with a KV cache: the right-padded prompts once (padding masked as keys), then each active
 * row's newest token at its own position, finished rows fed padding. Stops when the cache holds
 * `maxLength` tokens; returns the steps taken.
 */
async function cachedSteps(model: GptModel, state: ChunkState, options: CompleteBatchOptions): Promise<number> {
  const { maxLength } = model.options;
  const n = state.rows.length;
  const width = Math.max(...state.rows.map((r) => r.length));
  const cache = new KvCache();
  let step = 0;
  try {
    while (step < options.maxNewTokens && cache.length + (step === 0 ? width : 1) <= maxLength) {
      const active = state.rows.map((_, r) => isActive(state, r, maxLength));
      if (!active.includes(true)) break;
      const t = step === 0 ? width : 1;
      const ids = new Int32Array(n * t).fill(options.padId);
      const padding = new Float32Array(n * t).fill(1);
      const positions = new Int32Array(n * t);
      const at: number[] = [];
      state.rows.forEach((row, r) => {
        const fed = step === 0 ? row : active[r] ? row.slice(-1) : [];
        ids.set(fed, r * t);
        padding.fill(0, r * t, r * t + fed.length);
        for (let j = 0; j < t; j++) positions[r * t + j] = Math.min(step === 0 ? j : row.length - 1, maxLength - 1);
        at.push(r * t + Math.max(fed.length - 1, 0));
      });
      const next = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d(ids, [n, t], 'int32'), {
          cache,
          padding: tf.tensor2d(padding, [n, t]),
          positions: tf.tensor2d(positions, [n, t], 'int32'),
        });
        return tf.argMax(tf.gather(logits.reshape([n * t, -1]), tf.tensor1d(at, 'int32')), 1);
      });
      const picked = await readAndDispose(next);
      active.forEach((on, r) => {
        if (on) take(state, r, picked[r], options.stopTokenId);
      });
      step++;
    }
  } finally {
    cache.dispose();
  }
  return step;
}

async function readAndDispose(t: tf.Tensor): Promise<Int32Array> {
  try {
    return (await t.data()) as Int32Array;
  } finally {
    t.dispose();
  }
}

/** Steps that run every active row whole (right-padded; causal attention keeps the padding out). */
async function wholeRowSteps(model: GptModel, state: ChunkState, options: CompleteBatchOptions, steps: number): Promise<void> {
  const { rows } = state;
  const maxLength = model.options.maxLength;
  for (let step = 0; step < steps; step++) {
    const active = rows.map((_, i) => (isActive(state, i, maxLength) ? i : -1)).filter((i) => i >= 0);
    if (active.length === 0) break;
    const T = Math.max(...active.map((i) => rows[i].length));
    const ids = new Int32Array(active.length * T).fill(options.padId);
    active.forEach((r, a) => ids.set(rows[r], a * T));
    const next = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(ids, [active.length, T], 'int32'));
      const flat = logits.reshape([active.length * T, -1]);
      const at = tf.tensor1d(active.map((r, a) => a * T + rows[r].length - 1), 'int32');
      return tf.argMax(tf.gather(flat, at), 1);
    });
    const picked = await readAndDispose(next);
    active.forEach((r, a) => take(state, r, picked[a], options.stopTokenId));
  }
}
