import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { crossEntropyLoss, GptModel, GptOptions } from '../../src/model';
import { Rng } from '../../src/random';

describe('GptModel training', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const variants: Array<[string, Partial<GptOptions>]> = [
    ['GPT-2 style (tied)', {}],
    ['Llama style', { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false }],
    ['Llama style, grouped-query attention (4 heads, 2 key/value)', { norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false, heads: 4, kvHeads: 2 }],
  ];
  for (const [label, options] of variants) {
    it(`learns a repeating sequence with Adam, memory flat (${label})`, async () => {
      const model = new GptModel({ vocabSize: 8, maxLength: 16, layers: 1, heads: 2, dim: 16, dropout: 0.05, ...options }, new Rng(7));
      const optimizer = tf.train.adam(1e-2);
      // Two rows of the cycle 0..7 at different phases: next token is always (id + 1) % 8.
      const rows = [0, 3].map((phase) => Array.from({ length: 9 }, (_, i) => (phase + i) % 8));
      const inputs = tf.tensor2d(rows.map((r) => r.slice(0, 8)), undefined, 'int32');
      const labels = tf.tensor2d(rows.map((r) => r.slice(1)), undefined, 'int32');
      const weights = tf.ones([2, 8]) as tf.Tensor2D;
      const vars = [...model.params.values()];
      const losses: tf.Scalar[] = [];
      let baseline = 0;
      try {
        for (let step = 0; step < 150; step++) {
          const loss = optimizer.minimize(
            () => crossEntropyLoss(model.forward(inputs, { training: true, dropoutSeed: step }), labels, weights),
            true,
            vars,
          ) as tf.Scalar;
          losses.push(loss);
          if (step === 1) baseline = tf.memory().numTensors;
        }
        // One tensor per kept loss beyond the baseline; nothing else accumulates.
        assert.equal(tf.memory().numTensors - baseline, losses.length - 2);
        const values = await Promise.all(losses.map((l) => l.data()));
        const first = values[0][0];
        const last = values[values.length - 1][0];
        assert.ok(Math.abs(first - Math.log(8)) < 0.3, `initial loss ${first} ≈ ln 8`);
        assert.ok(last < 0.1, `final loss ${last} (from ${first})`);
      } finally {
        tf.dispose(losses);
        tf.dispose([inputs, labels, weights]);
        optimizer.dispose();
        model.dispose();
      }
    });
  }
});
