import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, Logger, Metrics, runJob, Trainer } from '../../src';
import '../fixtures/tiny-regression';

function quietLogger(lines: string[] = []): Logger {
  return new Logger({ sink: (_level, line) => lines.push(line) });
}

class LossRecorder extends Callback {
  constructor(trainer: Trainer, config: CallbackConfig, private readonly losses: number[]) {
    super(trainer, config);
  }
  override async onLog(metrics: Metrics): Promise<void> {
    this.losses.push(metrics.loss);
  }
}

describe('runJob', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-runjob-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names outputDir and why when the run folder cannot be created, before any work', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const lines: string[] = [];
    await assert.rejects(runJob({ type: 'tiny', backend: 'cpu', outputDir: path.join(file, 'run') }, { logger: quietLogger(lines) }), (e: Error) => {
      assert.equal(e.message, `Cannot use the run folder: outputDir: cannot create the run folder ${path.join(file, 'run')}: a part of the path is a file, not a folder (ENOTDIR)`);
      return true;
    });
    assert.deepEqual(lines, [], 'nothing was started');
  });

  it('writes recipe.resolved.yaml with absolute data paths, so it reproduces the run from its run folder', async () => {
    fs.mkdirSync(path.join(dir, 'recipes', 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'recipes', 'data', 'a.txt'), 'one line of text\nanother line\n');
    const recipe = path.join(dir, 'recipes', 'r.yaml');
    fs.writeFileSync(
      recipe,
      [
        'type: causal',
        'backend: cpu',
        'trainIters: 1',
        'checkpoint: []',
        'tokenizer: { type: byte }',
        'data: { type: causal, sources: [{ type: text, paths: data/a.txt, unit: line }], maxLength: 8, trainEvalSplit: [1, 0], cache: false }',
        'model: { type: gpt, layers: 1, heads: 1, dim: 8, maxLength: 8 }',
        `outputDir: ${JSON.stringify(path.join(dir, 'run'))}`,
        '',
      ].join('\n'),
    );
    await runJob(recipe, { logger: quietLogger() });
    const resolved = path.join(dir, 'run', 'recipe.resolved.yaml');
    assert.match(fs.readFileSync(resolved, 'utf8'), new RegExp(`paths:\\s*\\n?\\s*- ${path.join(dir, 'recipes', 'data', 'a.txt').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const again = await runJob(resolved, { logger: quietLogger(), overrides: [`outputDir=${path.join(dir, 'again')}`] });
    assert.equal(again.status, 'finished');
  });

  it('locates a setting found wrong while building the run, like a validation error', async () => {
    const file = path.join(dir, 'recipe.yaml');
    fs.writeFileSync(file, ['type: tiny', 'backend: cpu', `outputDir: ${JSON.stringify(path.join(dir, 'run'))}`, 'epochs: 1', 'scheduler:', '  type: linear', '  warmupSteps: 500', ''].join('\n'));
    await assert.rejects(runJob(file, { logger: quietLogger() }), (e: Error) => {
      assert.match(e.message, /^Invalid recipe: scheduler\.warmupSteps: warmup of 500 steps is longer than training \(\d+ optimizer steps\); lower it or train longer \((.*)recipe\.yaml:7:16\)$/);
      return true;
    });
    await assert.rejects(runJob(file, { logger: quietLogger(), overrides: ['scheduler.warmupSteps=400'] }), /warmup of 400 steps .* \(--set scheduler\.warmupSteps=400\)$/);
  });

  it('trains a test-only trainer end to end on cpu and the loss falls', async () => {
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    const result = await runJob(
      {
        type: 'tiny',
        backend: 'cpu',
        epochs: 20,
        microBatchSize: 8,
        logInterval: 8,
        outputDir: path.join(dir, 'run'),
        optimizer: { type: 'adam', lr: 0.05 },
        callbacks: [],
      },
      {
        logger: quietLogger(),
        onTrainerReady: (trainer: Trainer) => {
          trainer.callbackList.callbacks.push(new LossRecorder(trainer, new CallbackConfig(), losses));
        },
      },
    );
    assert.equal(result.success, true);
    assert.equal(result.status, 'finished');
    assert.equal(result.globalStep, 20 * 8);
    assert.ok(losses.length >= 10, `logged ${losses.length} times`);
    assert.ok(losses[losses.length - 1] < losses[0] / 20, `loss fell from ${losses[0]} to ${losses[losses.length - 1]}`);
    assert.ok(result.metrics['eval/loss'] < 0.05, `eval loss ${result.metrics['eval/loss']}`);
    assert.ok(result.lastCheckpointPath !== undefined && fs.existsSync(path.join(result.lastCheckpointPath, 'manifest.json')));
    assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
  });
});
