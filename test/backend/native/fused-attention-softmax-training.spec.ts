import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_KERNELS, hasKernel, syncFusedKernels } from '../../../src/backend/native';
import { crossEntropyLoss, GptModel } from '../../../src/model';
import { Rng } from '../../../src/random';
import { assertClose, maxAbsDiff } from '../../support/tensors';
import { useWasmBackend } from '../backend-fixture';
import { randomRows, requireNativeKernels } from './native-fixture';

const VOCAB = 31;
const LENGTH = 21;
const STEPS = 8;

/** Losses of a run and the trained query/key weights (the only parameters the scores' gradient reaches first). */
interface Run {
  losses: number[];
  qkv: Float32Array;
}

/** Documents of 3 to 9 tokens packed into each row: segment ids `[B, T]`. */
function packedSegments(rows: number[][]): number[][] {
  const rng = new Rng(17);
  return rows.map((r) => {
    let id = 0;
    let left = 3 + rng.int(7);
    return r.map(() => {
      if (left-- === 0) {
        id++;
        left = 2 + rng.int(7);
      }
      return id;
    });
  });
}

/**
 * Trains a tiny GPT (the options of `trainGptLosses`) for a few Adam steps on `rows`, causal or
 * packed, and returns the losses and block 0's trained qkv weight. The losses alone barely see
 * the attention gradient (dropping it moves them < 1e-3 in 8 steps); the weights do.
 */
async function train(rows: number[][], segments: number[][] | undefined): Promise<Run> {
  const model = new GptModel({ vocabSize: VOCAB, maxLength: 24, layers: 2, heads: 2, dim: 32, ffnDim: 64 }, new Rng(5));
  const optimizer = tf.train.adam(3e-3);
  const losses: number[] = [];
  try {
    const vars = [...model.params.values()];
    for (let s = 0; s < STEPS; s++) {
      const loss = tf.tidy(() => {
        const ids = tf.tensor2d(rows, undefined, 'int32');
        const segmentIds = segments === undefined ? undefined : (tf.tensor2d(segments, undefined, 'int32') as tf.Tensor2D);
        const w = tf.onesLike(ids).asType('float32') as tf.Tensor2D;
        return optimizer.minimize(() => crossEntropyLoss(model.forward(ids, { segmentIds }), ids, w), true, vars)!;
      });
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
    return { losses, qkv: (await model.params.get('blocks.0.attn.qkv.weight')!.data()) as Float32Array };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** Runs `run` with this family's kernels, then with only them unregistered (every other native kernel stays). */
async function fusedAndComposite(run: () => Promise<Run>): Promise<[Run, Run]> {
  assert.ok(hasKernel(ATTENTION_SOFTMAX), 'fused kernel registered');
  const before = tf.memory().numTensors;
  const fused = await run();
  assert.equal(tf.memory().numTensors, before, 'tensors after the fused run');
  for (const name of ATTENTION_SOFTMAX_KERNELS) tf.unregisterKernel(name, 'wasm');
  try {
    assert.equal(hasKernel(ATTENTION_SOFTMAX), false);
    return [fused, await run()];
  } finally {
    syncFusedKernels();
    assert.ok(hasKernel(ATTENTION_SOFTMAX), 'fused kernel registered again');
  }
}

function assertSameTraining(fused: Run, composite: Run, initial: Run): void {
  assertClose(fused.losses, composite.losses, 1e-4, 'losses fused vs composite');
  assert.ok(fused.losses[STEPS - 1] < fused.losses[0], `loss decreases: ${fused.losses.join(', ')}`);
  // Trained weights agree far more closely than they moved: a wrong scores gradient shows here.
  const moved = maxAbsDiff(composite.qkv, initial.qkv);
  assert.ok(moved > 1e-3, `weights moved ${moved}`);
  assertClose(fused.qkv, composite.qkv, 2e-5, 'trained qkv weight fused vs composite');
}

describe('fused attention softmax in training (wasm)', () => {
  useWasmBackend();
  requireNativeKernels();
  let initial: Run;
  before(async () => {
    const model = new GptModel({ vocabSize: VOCAB, maxLength: 24, layers: 2, heads: 2, dim: 32, ffnDim: 64 }, new Rng(5));
    initial = { losses: [], qkv: (await model.params.get('blocks.0.attn.qkv.weight')!.data()) as Float32Array };
    model.dispose();
  });

  it('trains a GPT (causal mask) with the same losses and weights as the composite, with a flat tensor count', async () => {
    const rows = randomRows(3, LENGTH, VOCAB);
    const [fused, composite] = await fusedAndComposite(() => train(rows, undefined));
    assertSameTraining(fused, composite, initial);
  });

  it('trains a GPT on packed segments ([B, 1, T, T] mask) with the same losses and weights as the composite', async () => {
    const rows = randomRows(2, LENGTH, VOCAB, 21);
    const [fused, composite] = await fusedAndComposite(() => train(rows, packedSegments(rows)));
    assertSameTraining(fused, composite, initial);
  });
});
