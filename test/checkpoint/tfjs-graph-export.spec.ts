import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TfjsFileHandler, writeGptGraphModel } from '../../src/checkpoint';
import { GptModel, GptOptions, Rng } from '../../src';
import { maxAbsDiff } from '../support/tensors';
import { runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** Serves `root` over HTTP the way a static web server would serve a model folder to a browser. */
async function serve(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent((req.url ?? '/').split('?')[0]));
    if (!file.startsWith(root) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Max |graph model − GptModel.forward| over a batch of `t` tokens. */
async function compare(graph: tf.GraphModel, model: GptModel, t: number): Promise<number> {
  const ids = tf.tensor2d(
    Array.from({ length: 2 * t }, (_, i) => (i * 7 + 3) % model.options.vocabSize),
    [2, t],
    'int32',
  );
  const fromGraph = graph.predict(ids) as tf.Tensor;
  const fromModel = model.forward(ids);
  try {
    assert.deepEqual(fromGraph.shape, [2, t, model.options.vocabSize]);
    return maxAbsDiff(await fromGraph.data(), await fromModel.data());
  } finally {
    tf.dispose([ids, fromGraph, fromModel]);
  }
}

describe('tfjs graph model export', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-tfjs-')));
  afterEach(() => cleanup());

  const flavours: Array<[string, Partial<GptOptions>]> = [
    ['GPT-2 style (layernorm, learned positions, gelu, tied head)', {}],
    ['Llama style (rmsnorm, rope, swiglu, untied head, no biases)', { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', tieEmbeddings: false, bias: false }],
    ['grouped-query (4 heads, 2 key/value heads; rope, biases)', { heads: 4, kvHeads: 2, position: 'rope' }],
    ['Qwen2 style (biases on attn.qkv only, grouped-query, rope)', { heads: 4, kvHeads: 2, position: 'rope', norm: 'rmsnorm', activation: 'swiglu', bias: 'qkv' }],
    ['Llama 3 RoPE scaling (llama3: factor 8, low 1, high 4, original 8)', { position: 'rope', ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxLength: 8 } }],
    ['Qwen3 style (qkNorm, headDim 6 of dim 16 / 2 heads, no biases, rmsnorm, rope)', { heads: 2, headDim: 6, qkNorm: true, position: 'rope', norm: 'rmsnorm', activation: 'swiglu', bias: false }],
    ['YaRN RoPE scaling (factor 4, original 6, attention factor 1.5 on cos and sin)', { position: 'rope', ropeScaling: { type: 'yarn', factor: 4, originalMaxLength: 6, betaFast: 4, betaSlow: 0.5, attentionFactor: 1.5 } }],
  ];
  for (const [name, flavour] of flavours) {
    it(`a ${name} GPT loads with tf.loadGraphModel over HTTP and predicts what GptModel.forward does`, async () => {
      const before = tf.memory().numTensors;
      const model = new GptModel({ vocabSize: 40, maxLength: 12, layers: 2, heads: 2, dim: 16, ...flavour }, new Rng(5));
      // Biases start at zero (q/k norm weights at one): give them values, so a graph that drops one is caught.
      for (const [name, v] of model.params) if (name.endsWith('.bias') || name.endsWith('Norm.weight')) tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 7)));
      const out = path.join(dir, 'web');
      await writeGptGraphModel(out, model, { shardBytes: 8000 });
      const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
      assert.equal(json.format, 'graph-model');
      assert.ok(json.weightsManifest[0].paths.length > 1, 'weights are sharded like the converter does');
      assert.deepEqual(Object.keys(json.signature.inputs), ['input_ids']);
      assert.deepEqual(Object.keys(json.signature.outputs), ['logits']);

      const server = await serve(dir);
      let graph: tf.GraphModel | undefined;
      try {
        // What a web page does: tf.loadGraphModel('https://host/path/model.json').
        graph = await tf.loadGraphModel(`${server.url}/web/model.json`);
        for (const t of [1, 5, 12]) {
          const diff = await compare(graph, model, t);
          assert.ok(diff < 1e-5, `T=${t}: max |graph − forward| = ${diff}`);
        }
      } finally {
        graph?.dispose();
        await server.close();
      }
      // The same folder loads from disk in Node.
      const local = await tf.loadGraphModel(new TfjsFileHandler(out));
      try {
        assert.ok((await compare(local, model, 7)) < 1e-5);
      } finally {
        local.dispose();
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, before, 'export or load leaked tensors');
    });
  }

  it('the tfjs checkpoint engine writes a loadable graph model per save, keeping the newest', async () => {
    const run = path.join(dir, 'run');
    await runRecorded(tinyGptRecipe(run, { trainIters: 10, checkpoint: [{ type: 'tfjs', saveEveryNSteps: 5, keepLast: 1 }] }));
    assert.deepEqual(fs.readdirSync(path.join(run, 'tfjs')), ['step-000010']);
    const graph = await tf.loadGraphModel(new TfjsFileHandler(path.join(run, 'tfjs', 'step-000010')));
    try {
      const ids = tf.tensor2d([[16, 0, 8, 14]], [1, 4], 'int32');
      const logits = graph.predict(ids) as tf.Tensor;
      assert.deepEqual(logits.shape, [1, 4, 22]);
      tf.dispose([ids, logits]);
    } finally {
      graph.dispose();
    }
  });
});
