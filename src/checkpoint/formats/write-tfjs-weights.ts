import * as tf from '@tensorflow/tfjs';
import { TensorMap, tensorEntries } from './tensors-to-raw';
import { TfjsFileHandler, TfjsFileHandlerOptions } from './tfjs-file-handler';

/** Options of {@link writeTfjsWeights}. */
export interface WriteTfjsWeightsOptions extends TfjsFileHandlerOptions {
  /** Model topology to store (a LayersModel's `toJSON(null, false)` or a graph def); omitted if absent. */
  modelTopology?: object;
  /** `layers-model` or `graph-model`; omitted when there is no topology. */
  format?: 'layers-model' | 'graph-model';
  /** Free-form metadata stored as `userDefinedMetadata`. */
  userDefinedMetadata?: Record<string, object>;
}

/**
 * Writes named tensors as a tfjs model folder (`model.json` + weight shards) so `tf.io` loaders,
 * `tf.loadLayersModel`/`tf.loadGraphModel` (given a topology) and browsers over HTTP can read them.
 * Weights are listed sorted by name; tensor values are read with async `data()`, not disposed.
 */
export async function writeTfjsWeights(dir: string, tensors: TensorMap, options: WriteTfjsWeightsOptions = {}): Promise<void> {
  const named = tensorEntries(tensors)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, tensor]) => ({ name, tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const handler = new TfjsFileHandler(dir, { overwrite: options.overwrite, shardBytes: options.shardBytes });
  await handler.save({
    modelTopology: options.modelTopology,
    format: options.modelTopology === undefined ? undefined : options.format,
    generatedBy: `TensorFlow.js tfjs-core v${tf.version_core}`,
    convertedBy: 'floe',
    userDefinedMetadata: options.userDefinedMetadata,
    weightSpecs: specs,
    weightData: data,
  });
}
