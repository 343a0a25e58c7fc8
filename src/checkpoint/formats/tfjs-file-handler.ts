import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CheckpointError } from '../../errors';
import { writeDirAtomically } from '../io';

/** File name of a tfjs model folder's JSON (topology + weights manifest). */
export const TFJS_MODEL_JSON = 'model.json';

/** Options of {@link TfjsFileHandler}. */
export interface TfjsFileHandlerOptions {
  /** Replace an existing folder on save (default false). */
  overwrite?: boolean;
  /** Split the weights into shard files of at most this many bytes (default: one shard). */
  shardBytes?: number;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** Bytes a manifest's weights occupy, or undefined when a string weight makes it data-dependent. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const s of specs) {
    const dtype = s.quantization?.dtype ?? s.dtype;
    if (DTYPE_BYTES[dtype] === undefined) return undefined;
    total += DTYPE_BYTES[dtype] * s.shape.reduce((n, d) => n * d, 1);
  }
  return total;
}

function shardNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
}

/**
 * A tfjs `IOHandler` over a local folder in the layout `tf.io.http` and the tfjs converter use:
 * `model.json` (`modelTopology`, `format`, `weightsManifest: [{ paths, weights }]`) plus
 * `group1-shardXofN.bin`. Works with `model.save(handler)`, `tf.loadLayersModel(handler)` and
 * `tf.loadGraphModel(handler)` in Node without tfjs-node. Saves are atomic (temp folder + rename).
 */
export class TfjsFileHandler implements tf.io.IOHandler {
  constructor(
    /** Folder the model is saved to or loaded from. */
    readonly dir: string,
    private readonly options: TfjsFileHandlerOptions = {},
  ) {}

  /** Writes `model.json` and the weight shards. */
  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new CheckpointError(`Cannot save tfjs model to '${this.dir}': binary (protobuf) topologies are not supported.`);
    }
    const weights = new Uint8Array(
      artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData),
    );
    const shardBytes = this.options.shardBytes ?? Infinity;
    const count = Math.max(1, Math.ceil(weights.length / shardBytes));
    const paths = shardNames(count);
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      trainingConfig: artifacts.trainingConfig,
      signature: artifacts.signature,
      userDefinedMetadata: artifacts.userDefinedMetadata,
      modelInitializer: artifacts.modelInitializer,
      initializerSignature: artifacts.initializerSignature,
      weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
    };
    await writeDirAtomically(
      this.dir,
      async (tmp) => {
        await fs.writeFile(path.join(tmp, TFJS_MODEL_JSON), JSON.stringify(modelJson));
        for (let i = 0; i < count; i++) {
          const end = Math.min(weights.length, (i + 1) * shardBytes);
          await fs.writeFile(path.join(tmp, paths[i]), weights.subarray(i * shardBytes, end));
        }
      },
      { overwrite: this.options.overwrite },
    );
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }

  /** Reads `model.json` and its shards, checking the shards hold exactly the listed weights. */
  async load(): Promise<tf.io.ModelArtifacts> {
    const file = path.join(this.dir, TFJS_MODEL_JSON);
    let modelJson: tf.io.ModelJSON;
    try {
      modelJson = JSON.parse(await fs.readFile(file, 'utf8')) as tf.io.ModelJSON;
    } catch (err) {
      throw new CheckpointError(`Cannot read tfjs model '${file}': ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(modelJson?.weightsManifest)) {
      throw new CheckpointError(`Invalid tfjs model '${file}': 'weightsManifest' is missing or not an array.`);
    }
    return tf.io.getModelArtifactsForJSON(modelJson, (manifest) => this.loadWeights(manifest));
  }

  private async loadWeights(manifest: tf.io.WeightsManifestConfig): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      const groupBuffers: ArrayBuffer[] = [];
      for (const shard of group.paths) {
        groupBuffers.push(await this.readShard(shard));
      }
      const actual = groupBuffers.reduce((n, b) => n + b.byteLength, 0);
      const expected = expectedBytes(group.weights);
      if (expected !== undefined && expected !== actual) {
        throw new CheckpointError(
          `Invalid tfjs model in '${this.dir}': shards ${group.paths.join(', ')} hold ${actual} bytes but their weights need ${expected}.`,
        );
      }
      specs.push(...group.weights);
      buffers.push(...groupBuffers);
    }
    return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
  }

  private async readShard(shard: string): Promise<ArrayBuffer> {
    const parts = shard.split('/');
    if (path.isAbsolute(shard) || parts.includes('..')) {
      throw new CheckpointError(`Invalid tfjs model in '${this.dir}': shard path '${shard}' escapes the model folder.`);
    }
    const full = path.join(this.dir, ...parts);
    try {
      const bytes = await fs.readFile(full);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    } catch (err) {
      throw new CheckpointError(`Cannot read tfjs weight shard '${full}': ${(err as Error).message}`, { cause: err });
    }
  }
}
