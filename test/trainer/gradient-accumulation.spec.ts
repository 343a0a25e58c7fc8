import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Callback, CallbackConfig, Logger, runJob, Trainer } from '../../src';
import { maxAbsDiff } from '../support/tensors';
import { accumulationWarning } from '../../src/trainer/build-components';
import '../fixtures/tiny-regression';

/** Copies every weight at the end of training (runJob disposes the model afterwards). */
class WeightCapture extends Callback {
  constructor(trainer: Trainer, private readonly out: Map<string, Float32Array>) {
    super(trainer, new CallbackConfig());
  }
  override async onTrainEnd(): Promise<void> {
    for (const [name, v] of this.trainer.model.params) this.out.set(name, (await v.data()) as Float32Array);
  }
}

async function trainAndCapture(recipe: Record<string, unknown>, dir: string): Promise<{ weights: Map<string, Float32Array>; steps: number }> {
  const weights = new Map<string, Float32Array>();
  const result = await runJob(
    { ...recipe, backend: 'cpu', quiet: true, outputDir: dir, checkpoint: [{ type: 'floe', saveEndOfTraining: false }] },
    { logger: new Logger({ sink: () => undefined }), onTrainerReady: (t) => void t.callbackList.callbacks.push(new WeightCapture(t, weights)) },
  );
  return { weights, steps: result.globalStep };
}

function assertSameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>, tol: number): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, values] of a) assert.ok(maxAbsDiff(values, b.get(name) as Float32Array) <= tol, `${name} differs by ${maxAbsDiff(values, b.get(name) as Float32Array)}`);
}

describe('gradient accumulation', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-accum-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('4 micro-batches of 2 give the same weights as 1 batch of 8', async () => {
    const base = { type: 'tiny', epochs: 2, optimizer: { type: 'adamw', lr: 0.01 }, maxGradNorm: 0 };
    const big = await trainAndCapture({ ...base, microBatchSize: 8, gradientAccumulationSteps: 1 }, path.join(dir, 'a'));
    const small = await trainAndCapture({ ...base, microBatchSize: 2, gradientAccumulationSteps: 4 }, path.join(dir, 'b'));
    assert.equal(big.steps, 16);
    assert.equal(small.steps, 16, 'globalStep counts optimizer steps, not micro-batches');
    assertSameWeights(big.weights, small.weights, 1e-5);
    // And it is not trivially equal: no accumulation at micro-batch 2 diverges.
    const noAccum = await trainAndCapture({ ...base, microBatchSize: 2, gradientAccumulationSteps: 1 }, path.join(dir, 'c'));
    assert.ok(maxAbsDiff(noAccum.weights.get('linear.weight') as Float32Array, big.weights.get('linear.weight') as Float32Array) > 1e-3);
  });

  it('weights micro-batches by their loss tokens, so uneven SFT rows match one big batch', async () => {
    const recipe = {
      type: 'sft',
      epochs: 1,
      trainIters: 3,
      tokenizer: { type: 'byte' },
      data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 60, maxDigits: 4 }], maxLength: 16, trainEvalSplit: [1, 0], cache: false },
      model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16 },
      optimizer: { type: 'sgd', lr: 0.5 },
      maxGradNorm: 0,
    };
    const big = await trainAndCapture({ ...recipe, microBatchSize: 8, gradientAccumulationSteps: 1 }, path.join(dir, 'a'));
    const small = await trainAndCapture({ ...recipe, microBatchSize: 2, gradientAccumulationSteps: 4 }, path.join(dir, 'b'));
    assert.equal(small.steps, 3);
    assertSameWeights(big.weights, small.weights, 2e-5);
  });
});

describe('gradient accumulation with clipping and a partial last cycle', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-accum-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // 42 rows: one batch of 16 per step is 16, 16, 10 rows; 4 micro-batches of 4 per step are
  // 4+4+4+4, 4+4+4+4, 4+4+2 (a partial cycle whose last micro-batch is short).
  const recipe = {
    type: 'supervised',
    seed: 3,
    epochs: 2,
    data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'sine', count: 42, noise: 0.05 }], trainEvalSplit: [1, 0] },
    model: { type: 'mlp', hidden: [8] },
    loss: { type: 'mse' },
    optimizer: { type: 'adamw', lr: 0.05 },
  };

  it('clips the global norm of the averaged gradient (not each micro-batch), and a short last cycle is its rows’ mean, as one big batch', async () => {
    // maxGradNorm 0.05 is well under these gradients' norms, so every step is clipped.
    const clipped = { ...recipe, maxGradNorm: 0.05 };
    const big = await trainAndCapture({ ...clipped, microBatchSize: 16, gradientAccumulationSteps: 1 }, path.join(dir, 'a'));
    const small = await trainAndCapture({ ...clipped, microBatchSize: 4, gradientAccumulationSteps: 4 }, path.join(dir, 'b'));
    assert.equal(big.steps, 6);
    assert.equal(small.steps, 6, 'a partial last cycle still makes an optimizer step');
    assertSameWeights(big.weights, small.weights, 1e-6);
    // Not trivially equal: without accumulation the run takes 22 different steps.
    const noAccum = await trainAndCapture({ ...clipped, microBatchSize: 4, gradientAccumulationSteps: 1 }, path.join(dir, 'c'));
    assert.equal(noAccum.steps, 22);
    assert.ok(maxAbsDiff(noAccum.weights.get('output.weight') as Float32Array, big.weights.get('output.weight') as Float32Array) > 1e-2);
  });
});

describe('gradient accumulation longer than an epoch', () => {
  it('warns that each epoch makes one smaller step, with the global batch it gets and the largest setting that fits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-accum-'));
    const lines: string[] = [];
    try {
      // 64 examples in micro-batches of 8: 8 per epoch, 10 asked for.
      const result = await runJob(
        { type: 'tiny', epochs: 2, microBatchSize: 8, gradientAccumulationSteps: 10, backend: 'cpu', quiet: true, outputDir: dir, checkpoint: [] },
        { logger: new Logger({ sink: (level, line) => void lines.push(line) }) },
      );
      assert.equal(result.globalStep, 2, 'one optimizer step per epoch');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const warnings = lines.filter((l) => l.startsWith('warn:'));
    assert.deepEqual(warnings, [
      'warn: gradientAccumulationSteps 10 asks for 10 micro-batches per optimizer step, but an epoch has only 8 (microBatchSize 8), so each epoch makes one optimizer step of its 8: ' +
        'a global batch of up to 64 examples, not 80. Set gradientAccumulationSteps to at most 8, or use more data or a larger microBatchSize.',
    ]);
  });

  it('counts every data-parallel rank, and says nothing when a step fits in an epoch', () => {
    assert.match(accumulationWarning({ gradientAccumulationSteps: 3, microBatchSize: 4 }, 5, 2) ?? '', /^gradientAccumulationSteps 3 × 2 ranks asks for 6 micro-batches .* at most 2,/);
    assert.equal(accumulationWarning({ gradientAccumulationSteps: 4, microBatchSize: 4 }, 8, 2), undefined);
    assert.equal(accumulationWarning({ gradientAccumulationSteps: 5, microBatchSize: 4 }, 5, 1), undefined);
  });

  it('with more ranks than micro-batches in an epoch, says to train on fewer ranks (no accumulation setting helps)', () => {
    assert.match(
      accumulationWarning({ gradientAccumulationSteps: 1, microBatchSize: 16 }, 1, 3) ?? '',
      /an epoch has only 1 \(microBatchSize 16\), .* not 48\. 2 of the 3 ranks have no micro-batch and only wait: train on at most 1 rank \(distributed\.workers, or mpirun -np\), or use more data or a smaller microBatchSize\.$/,
    );
    assert.doesNotMatch(accumulationWarning({ gradientAccumulationSteps: 2, microBatchSize: 4 }, 2, 3) ?? '', /gradientAccumulationSteps to at most/);
  });
});
