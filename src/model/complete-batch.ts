import * as tf from '@tensorflow/tfjs';
import { GptModel } from './gpt-model';

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
}

/**
 * Greedy completions of many prompts at once: each step runs one forward pass over all rows
 * (right-padded; causal attention keeps the padding from affecting earlier positions) and
 * appends each unfinished row's argmax. Returns the new ids per prompt, without the stop id.
 */
export async function completeBatch(model: GptModel, prompts: readonly number[][], options: CompleteBatchOptions): Promise<number[][]> {
  const out: number[][] = [];
  const chunk = options.chunkSize ?? 128;
  for (let i = 0; i < prompts.length; i += chunk) out.push(...(await completeChunk(model, prompts.slice(i, i + chunk), options)));
  return out;
}

async function completeChunk(model: GptModel, prompts: readonly number[][], options: CompleteBatchOptions): Promise<number[][]> {
  const rows = prompts.map((p) => [...p]);
  const added: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  const maxLength = model.options.maxLength;
  for (let step = 0; step < options.maxNewTokens; step++) {
    const active = rows.map((r, i) => (!done[i] && r.length < maxLength ? i : -1)).filter((i) => i >= 0);
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
    let picked: Int32Array;
    try {
      picked = (await next.data()) as Int32Array;
    } finally {
      next.dispose();
    }
    active.forEach((r, a) => {
      const id = picked[a];
      if (id === options.stopTokenId) done[r] = true;
      else {
        rows[r].push(id);
        added[r].push(id);
      }
    });
  }
  return added;
}
