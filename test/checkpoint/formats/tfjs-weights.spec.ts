import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CheckpointError } from '../../../src/errors';
import { TfjsFileHandler, readTfjsWeights, writeTfjsWeights } from '../../../src/checkpoint/formats';
import { expectNoLeak } from '../../support/tensors';
import { makeTempDir } from '../temp-dir';
import { f32le, i32le } from './safetensors-bytes';

/** tfjs's own weight loader, fed from disk instead of fetch: an independent reader of the format. */
const loadWithTfjs = tf.io.weightsLoaderFactory(async (urls) =>
  Promise.all(
    urls.map(async (url) => {
      const b = await fs.readFile(url);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    }),
  ),
);

async function bytesOf(t: tf.Tensor): Promise<number[]> {
  const d = await t.data();
  return [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
}

describe('tfjs weights format', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it('writes model.json with a weights manifest and one shard in name order', async () => {
    const weights = {
      'lm_head.weight': tf.tensor2d([[1, -2.5], [3, 4]]),
      'embed.tokens.weight': tf.tensor1d([7, 8, 9], 'int32'),
      mask: tf.tensor1d([true, false], 'bool'),
    };
    const out = path.join(dir, 'web');
    await expectNoLeak(() => writeTfjsWeights(out, weights));
    assert.deepEqual((await fs.readdir(out)).sort(), ['group1-shard1of1.bin', 'model.json']);
    const json = JSON.parse(await fs.readFile(path.join(out, 'model.json'), 'utf8'));
    assert.deepEqual(json.weightsManifest, [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'embed.tokens.weight', shape: [3], dtype: 'int32' },
          { name: 'lm_head.weight', shape: [2, 2], dtype: 'float32' },
          { name: 'mask', shape: [2], dtype: 'bool' },
        ],
      },
    ]);
    const shard = await fs.readFile(path.join(out, 'group1-shard1of1.bin'));
    assert.deepEqual([...shard], [...i32le(7, 8, 9), ...f32le(1, -2.5, 3, 4), 1, 0]);

    // tf.io's loader reads what we wrote, bit for bit.
    const loaded = await loadWithTfjs(json.weightsManifest, out);
    for (const [name, t] of Object.entries(weights)) {
      assert.equal(loaded[name].dtype, t.dtype);
      assert.deepEqual(loaded[name].shape, t.shape);
      assert.deepEqual(await bytesOf(loaded[name]), await bytesOf(t), name);
    }
    tf.dispose([...Object.values(weights), ...Object.values(loaded)]);
  });

  it('round trips through readTfjsWeights across several shards', async () => {
    const w = tf.tensor(new Float32Array(300).map((_, i) => Math.sin(i) * 1e3), [3, 100]);
    const b = tf.tensor(new Float32Array([NaN, -0, 1e-45]));
    const out = path.join(dir, 'sharded');
    await writeTfjsWeights(out, new Map([['w', w], ['b', b]]), { shardBytes: 500 });
    assert.deepEqual((await fs.readdir(out)).sort(), ['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin', 'model.json']);
    const back = await readTfjsWeights(out);
    assert.deepEqual(await bytesOf(back.w), await bytesOf(w));
    assert.deepEqual(await bytesOf(back.b), await bytesOf(b));
    tf.dispose([w, b, ...Object.values(back)]);
  });

  it('saves and loads a LayersModel through TfjsFileHandler', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], activation: 'relu' }), tf.layers.dense({ units: 2 })] });
    const handler = new TfjsFileHandler(path.join(dir, 'layers'));
    await model.save(handler);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'layers', 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.equal(json.modelTopology.class_name, 'Sequential');
    const reloaded = await tf.loadLayersModel(handler);
    const x = tf.tensor2d([[1, 2, 3, 4], [-1, 0.5, 2, -3]]);
    const [y1, y2] = [model.predict(x) as tf.Tensor, reloaded.predict(x) as tf.Tensor];
    assert.deepEqual(await bytesOf(y2), await bytesOf(y1));
    tf.dispose([x, y1, y2]);
    model.dispose();
    reloaded.dispose();
  });

  it('names the folder when model.json or a shard is missing, bad or the wrong size', async () => {
    const out = path.join(dir, 'bad');
    const t = tf.tensor1d([1, 2, 3]);
    await writeTfjsWeights(out, { t });
    t.dispose();
    const shard = path.join(out, 'group1-shard1of1.bin');
    await fs.truncate(shard, 8);
    await assert.rejects(readTfjsWeights(out), (err: unknown) => err instanceof CheckpointError && /bad.*hold 8 bytes but their weights need 12/.test(err.message));
    await fs.rm(shard);
    await assert.rejects(readTfjsWeights(out), (err: unknown) => err instanceof CheckpointError && err.message.includes(shard));
    await fs.writeFile(path.join(out, 'model.json'), '{"weightsManifest": 3}');
    await assert.rejects(readTfjsWeights(out), (err: unknown) => err instanceof CheckpointError && /model\.json.*weightsManifest/.test(err.message));
  });
});
