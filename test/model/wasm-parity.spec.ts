import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import '@tensorflow/tfjs-backend-wasm';
import { crossEntropyLoss, GptModel } from '../../src/model';
import { assertClose } from '../support/tensors';
import { randomizeParams, tinyModel } from './helpers';

interface RunResult {
  logits: Float32Array;
  loss: number;
  grads: Map<string, Float32Array>;
}

/** Logits, loss and gradients (all weights but the embedding tables) on the current backend. */
function run(model: GptModel, rows: number[][]): RunResult {
  let result: RunResult | undefined;
  tf.tidy(() => {
    const ids = tf.tensor2d(rows, undefined, 'int32');
    const weights = tf.tensor2d(rows.map((r) => r.map((_, i) => (i === 0 ? 0 : 1))));
    // Two packed documents per row exercise the segment mask and derived positions.
    const segmentIds = tf.tensor2d(rows.map((r) => r.map((_, i) => (i < 2 ? 0 : 1))), undefined, 'int32');
    const logits = model.forward(ids, { segmentIds }).dataSync() as Float32Array;
    // Gradients of gathered tables need UnsortedSegmentSum, which stock tfjs-wasm lacks.
    const vars = [...model.params].filter(([name]) => !name.startsWith('embed.'));
    const { value, grads } = tf.variableGrads(() => crossEntropyLoss(model.forward(ids, { segmentIds }), ids, weights), vars.map(([, v]) => v));
    result = { logits, loss: value.dataSync()[0], grads: new Map(vars.map(([name, v]) => [name, grads[v.name].dataSync() as Float32Array])) };
  });
  return result!;
}

describe('GptModel on wasm', () => {
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the same logits, loss and gradients as on cpu (packed segments; grouped-query attention too)', async () => {
    const llama = { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false } as const;
    // Grouped-query attention (2 key/value heads for 4 query heads) runs the composite on wasm too.
    for (const options of [{}, llama, { ...llama, heads: 4, dim: 16, kvHeads: 2 }]) {
      const rows = [
        [1, 2, 3, 4, 5],
        [6, 5, 4, 3, 2],
      ];
      await tf.setBackend('cpu');
      const model = tinyModel(options);
      try {
        randomizeParams(model, 31, 0.3);
        const onCpu = run(model, rows);
        await tf.setBackend('wasm');
        const onWasm = run(model, rows);
        assertClose(onWasm.logits, onCpu.logits, 1e-4, 'logits');
        assertClose([onWasm.loss], [onCpu.loss], 1e-5, 'loss');
        assert.ok(onCpu.loss > 0.5, 'loss is a real cross-entropy');
        for (const [name, g] of onCpu.grads) assertClose(onWasm.grads.get(name)!, g, 1e-4, name);
      } finally {
        model.dispose();
      }
    }
  });
});
