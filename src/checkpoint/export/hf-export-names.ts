import { CheckpointError } from '../../errors';
import { gptHeadDim, ResolvedGptOptions } from '../../model/gpt-options';
import type { RawTensor } from '../formats/safetensors-dtype';
import { floeToHfGpt2Name, mapHfGpt2Name } from '../import/hf-gpt2-names';
import { QkvPart, floeToHfLlamaNames, mapHfLlamaName } from '../import/hf-llama-names';
import type { HfExportModelType } from './hf-export-config';

/** `[rows, cols]` row-major → `[cols, rows]`: Floe's `[in, out]` as PyTorch's `nn.Linear` `[out, in]`. */
function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** Columns `[from, from + width)` of a `[rows, cols]` matrix, transposed to `[width, rows]`. */
function columnBlockTransposed(data: Float32Array, rows: number, cols: number, from: number, width: number): Float32Array {
  const out = new Float32Array(width * rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) out[c * rows + r] = data[r * cols + from + c];
  return out;
}

function f32(data: Float32Array, shape: number[]): RawTensor {
  return { dtype: 'F32', shape, data };
}

/** Where each of q, k and v starts in `attn.qkv` and how wide it is (k and v are kvHeads·headDim). */
function qkvBlocks(o: ResolvedGptOptions): Record<QkvPart, [number, number]> {
  const q = gptHeadDim(o) * o.heads;
  const kv = gptHeadDim(o) * o.kvHeads;
  return { q: [0, q], k: [q, kv], v: [q + kv, kv] };
}

/**
 * Floe's GPT weights (float32 by Floe name, `[in, out]` linear weights) as the tensors of a
 * HuggingFace `model.safetensors`, named and laid out exactly as the importers read them back: the
 * name tables are the importers' own (`floeToHfGpt2Name`/`mapHfGpt2Name`,
 * `floeToHfLlamaNames`/`mapHfLlamaName`), run backwards.
 *
 * - `gpt2`: `transformer.`-prefixed (GPT2LMHeadModel's keys); Conv1D weights are `[in, out]` like
 *   Floe's, so they copy unchanged; `c_attn` keeps `[q | k | v]` columns. An untied `lm_head.weight`
 *   is transposed to `[V, D]`; HF's head has no bias, so a non-zero `lm_head.bias` is refused.
 * - `llama`/`qwen2`/`qwen3`: `model.`-prefixed; linear weights transposed to `[out, in]`; `attn.qkv` split
 *   into `q_proj`/`k_proj`/`v_proj` (q `heads · headDim`, k/v `kvHeads · headDim` wide), its bias
 *   likewise (qwen2); `attn.qNorm`/`attn.kNorm` as `q_norm`/`k_norm` (qwen3, gemma3_text); gemma3_text's
 *   four layer norms by Gemma's names (its `w`, stored as is: `normOffset` adds the 1 in the forward).
 *
 * A tied model has no `lm_head.weight` (transformers ties it to the embedding on load).
 *
 * @throws CheckpointError for a weight with no HF name or an untied GPT-2 head with a trained bias.
 */
export function hfExportTensors(floe: ReadonlyMap<string, RawTensor>, o: ResolvedGptOptions, modelType: HfExportModelType): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  const blocks = qkvBlocks(o);
  for (const [name, t] of floe) {
    const data = t.data as Float32Array;
    const [rows, cols] = t.shape;
    if (modelType === 'gpt2') {
      if (name === 'lm_head.bias') {
        const trained = data.findIndex((v) => v !== 0);
        if (trained >= 0) {
          throw new CheckpointError(
            `Cannot export the model as a HuggingFace GPT-2 folder: its untied head has a trained bias (lm_head.bias[${trained}] = ${data[trained]}), which HF's GPT2LMHeadModel does not have, ` +
              'so the exported model would compute other logits. Export with --format safetensors, or train with model.tieEmbeddings true (no separate head).',
          );
        }
        continue;
      }
      const hf = floeToHfGpt2Name(name);
      if (hf === undefined) throw new CheckpointError(`Cannot export weight '${name}' as GPT-2: it has no HuggingFace GPT-2 name.`);
      const m = mapHfGpt2Name(hf);
      if (m.kind === 'lm_head') out.set(hf, f32(transposed(data, rows, cols), [cols, rows]));
      else out.set(`transformer.${hf}`, t);
      continue;
    }
    const names = { gemma: modelType === 'gemma3_text' };
    const hfNames = floeToHfLlamaNames(name, names);
    if (hfNames.length === 0) throw new CheckpointError(`Cannot export weight '${name}' as ${modelType}: it has no HuggingFace Llama name.`);
    for (const hf of hfNames) {
      const m = mapHfLlamaName(hf, names);
      if (m.kind === 'qkv') {
        const [from, width] = blocks[m.part];
        out.set(hf, t.shape.length === 1 ? f32(data.slice(from, from + width), [width]) : f32(columnBlockTransposed(data, rows, cols, from, width), [width, rows]));
      } else if (m.kind === 'lm_head' || (m.kind === 'param' && m.transpose)) {
        out.set(hf, f32(transposed(data, rows, cols), [cols, rows]));
      } else {
        out.set(hf, t);
      }
    }
  }
  return out;
}
