import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { rawToTensor } from '../formats/raw-to-tensor';
import { readSafetensors } from '../formats/read-safetensors';
import { nonFiniteTensors } from '../non-finite-values';
import type { WeightTarget } from './gpt-source';
import type { PlannedHfTensor } from './plan-hf-weights';

/**
 * Loads the planned tensors ({@link planHfWeights}) file by file into their targets and returns
 * those holding NaN or an infinity (checked per source tensor, so a message names the very
 * tensor). A tensor with a `part` is one block of a packed target (Llama's q, k and v of
 * `attn.qkv`): the blocks may sit in different shards, so each waits (transposed) until all
 * `parts` of its target are read, then they are concatenated in `parts` order on the last axis.
 */
export async function loadPlannedHfTensors(
  files: readonly string[],
  planned: readonly PlannedHfTensor[],
  params: ReadonlyMap<string, WeightTarget>,
  parts: readonly string[] = [],
): Promise<PlannedHfTensor[]> {
  const pending = new Map<string, Record<string, tf.Tensor>>();
  const nonFinite: PlannedHfTensor[] = [];
  try {
    for (const file of files) {
      const { tensors } = await readSafetensors(file);
      const here = planned.filter((p) => p.file === file);
      const loaded = new Map<string, tf.Tensor>();
      try {
        for (const p of here) {
          const raw = tensors.get(p.hfName);
          if (raw === undefined) throw new CheckpointError(`Tensor '${p.hfName}' vanished from ${file} while loading.`);
          loaded.set(p.hfName, rawToTensor(raw, p.hfName));
        }
        const bad = new Set(await nonFiniteTensors(loaded));
        nonFinite.push(...here.filter((p) => bad.has(p.hfName)));
        for (const p of here) {
          const t = loaded.get(p.hfName) as tf.Tensor;
          const target = params.get(p.target) as WeightTarget;
          if (p.part === undefined) {
            tf.tidy(() => target.assign(p.transpose ? tf.transpose(t) : t));
            continue;
          }
          const blocks = pending.get(p.target) ?? {};
          pending.set(p.target, blocks);
          blocks[p.part] = tf.transpose(t);
          if (parts.every((k) => blocks[k] !== undefined)) {
            tf.tidy(() => target.assign(tf.concat(parts.map((k) => blocks[k]), target.shape.length - 1)));
            tf.dispose(Object.values(blocks));
            pending.delete(p.target);
          }
        }
      } finally {
        tf.dispose([...loaded.values()]);
      }
    }
  } finally {
    for (const blocks of pending.values()) tf.dispose(Object.values(blocks));
  }
  return nonFinite;
}
