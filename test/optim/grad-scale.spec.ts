import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { AdamOptimizer, AdamWOptimizer, ParamOptimizer, SgdOptimizer } from '../../src/optim';
import { useWasmBackend } from '../backend/backend-fixture';
import { expectNoLeak } from '../support/tensors';
import { disposeAll, lrAt, makeGrads, makeParams, readAll } from './optimizer-fixture';

const makers: Array<[string, () => ParamOptimizer]> = [
  ['AdamW', () => new AdamWOptimizer({ weightDecay: 0.1 })],
  ['Adam', () => new AdamOptimizer({ weightDecay: 0.1 })],
  ['SGD', () => new SgdOptimizer({ momentum: 0.9, nesterov: true, weightDecay: 0.1 })],
];

/** Three steps; the gradients either pre-multiplied by `scale` (as clipping does) or passed with `gradScale`. */
function train(make: () => ParamOptimizer, scale: number, folded: boolean): Map<string, number[]> {
  const opt = make();
  const params = makeParams();
  const s = tf.scalar(scale);
  try {
    for (let k = 0; k < 3; k++) {
      const grads = makeGrads(k);
      if (folded) {
        opt.applyGradients(params, grads, lrAt(k), { gradScale: s });
      } else {
        const scaled = new Map([...grads].map(([n, g]) => [n, tf.mul(g, s)]));
        opt.applyGradients(params, scaled, lrAt(k));
        disposeAll(scaled);
      }
      disposeAll(grads);
    }
    return readAll(params);
  } finally {
    s.dispose();
    disposeAll(params);
    opt.dispose();
  }
}

function checkFolding(): void {
  for (const [label, make] of makers) {
    it(`${label}: gradScale gives the bits of gradients multiplied first, and leaks nothing`, async () => {
      assert.equal(make().acceptsGradScale, true);
      await expectNoLeak(() => {
        const folded = train(make, 0.37, true);
        const multiplied = train(make, 0.37, false);
        assert.deepEqual(folded, multiplied);
        // The scale matters: a different one gives different weights.
        assert.notDeepEqual(train(make, 1, true), folded);
      });
    });
  }
}

describe('ApplyGradientsOptions.gradScale (clip coefficient folded into the update)', () => {
  describe('on the current backend', checkFolding);
  // On wasm with the native addon, Adam and AdamW take the fused FloeAdamUpdate path.
  describe('on wasm', () => {
    useWasmBackend();
    checkFolding();
  });
});
