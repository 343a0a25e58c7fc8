import type { GptModel } from '../../model/gpt-model';
import { TfjsFileHandler } from '../formats/tfjs-file-handler';
import { shapeAttr } from './graph-def-builder';
import { GPT_GRAPH_INPUT, GPT_GRAPH_OUTPUT, buildGptGraph } from './gpt-graph';

/** Options of {@link writeGptGraphModel}. */
export interface WriteGptGraphModelOptions {
  /** Replace an existing folder (default false). */
  overwrite?: boolean;
  /** Split weights into shards of at most this many bytes (default 4 MiB, as the tfjs converter). */
  shardBytes?: number;
  /** Extra `userDefinedMetadata` (e.g. the tokenizer the model was trained with). */
  metadata?: Record<string, object>;
}

/**
 * Writes a GPT as a tfjs graph model folder (`model.json` + `group1-shard*.bin`) that
 * `tf.loadGraphModel('…/model.json')` loads in a browser (or in Node from a folder through
 * `TfjsFileHandler`). `model.predict(inputIds)` with int32 `[B, T]` ids returns logits
 * `[B, T, V]`, equal to `GptModel.forward` up to float rounding.
 */
export async function writeGptGraphModel(dir: string, model: GptModel, options: WriteGptGraphModelOptions = {}): Promise<void> {
  const graph = await buildGptGraph(model);
  const { specs, data } = await graph.encodeConstants();
  const handler = new TfjsFileHandler(dir, { overwrite: options.overwrite, shardBytes: options.shardBytes ?? 4 * 1024 * 1024 });
  await handler.save({
    modelTopology: graph.graphDef(),
    format: 'graph-model',
    generatedBy: 'floe',
    convertedBy: 'floe GptModel graph export',
    signature: {
      inputs: { [GPT_GRAPH_INPUT]: { name: `${GPT_GRAPH_INPUT}:0`, dtype: 'DT_INT32', tensorShape: shapeAttr([-1, -1]) } },
      outputs: { [GPT_GRAPH_OUTPUT]: { name: `${GPT_GRAPH_OUTPUT}:0`, dtype: 'DT_FLOAT', tensorShape: shapeAttr([-1, -1, model.options.vocabSize]) } },
    },
    userDefinedMetadata: { floe: { type: 'gpt', options: { ...model.options } }, ...options.metadata },
    weightSpecs: specs,
    weightData: data,
  });
}
