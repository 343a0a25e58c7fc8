import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, ConfigError, Logger, Metrics, runJob, Trainer } from '../../src';
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

  it("names the absolute path it tried for a recipe file that is not there (was: 'cannot read recipe nope.yaml: file not found')", async () => {
    const lines: string[] = [];
    await assert.rejects(runJob('nope-no-such-recipe.yaml', { logger: quietLogger(lines) }), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.message, `Invalid recipe: cannot read recipe nope-no-such-recipe.yaml: file not found (resolved to ${path.resolve('nope-no-such-recipe.yaml')})`);
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

  it('refuses a fresh run in a folder holding an earlier run; --resume, autoResume or overwriteOutputDir go on', async () => {
    const run = path.join(dir, 'run');
    const recipe = (fields: Record<string, unknown> = {}) => ({ type: 'tiny', backend: 'cpu', epochs: 1, outputDir: run, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }], ...fields });
    await runJob(recipe(), { logger: quietLogger() });
    const before = fs.readdirSync(path.join(run, 'checkpoints')).sort();
    const lines: string[] = [];
    await assert.rejects(runJob(recipe({ seed: 9 }), { logger: quietLogger(lines) }), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^Invalid recipe: outputDir: .*run already holds a run \(status finished at step 8, 2 checkpoints \(newest step-000008\), metrics\.jsonl\); a new run there would mix with it\. Continue it with --resume .*run, start over in it with --set overwriteOutputDir=true/);
      return true;
    });
    assert.deepEqual(lines, [], 'nothing was started');
    assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), before, 'nothing was touched');

    // Continuing the run is fine either way.
    assert.equal((await runJob(recipe({ epochs: 2 }), { logger: quietLogger(), resumeFrom: run })).globalStep, 16);
    assert.equal((await runJob(recipe({ epochs: 3, checkpoint: [{ type: 'floe', saveEveryNSteps: 4, autoResume: true }] }), { logger: quietLogger() })).globalStep, 24);

    // Starting over deletes the run's files and checkpoints, and leaves other files.
    fs.writeFileSync(path.join(run, 'notes.md'), 'mine');
    const fresh = await runJob(recipe({ overwriteOutputDir: true, epochs: 1 }), { logger: quietLogger() });
    assert.equal(fresh.globalStep, 8);
    assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), ['step-000004', 'step-000008']);
    const steps = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).step as number);
    assert.ok(Math.max(...steps) <= 8, `metrics.jsonl holds only the new run: ${steps.join(',')}`);
    assert.equal(fs.readFileSync(path.join(run, 'notes.md'), 'utf8'), 'mine');
  });

  it('finds and clears an earlier run where the recipe moved its metrics, status and events; refuses to delete outside the run folder', async () => {
    const run = path.join(dir, 'moved');
    const moved = [
      { type: 'metrics-jsonl', file: 'logs/m.jsonl' },
      { type: 'status', file: 'logs/status.json' },
      { type: 'tensorboard', logDir: 'tb' },
    ];
    const recipe = (fields: Record<string, unknown> = {}) => ({ type: 'tiny', backend: 'cpu', epochs: 1, outputDir: run, checkpoint: [], callbacks: moved, ...fields });
    await runJob(recipe(), { logger: quietLogger() });
    const records = () => fs.readFileSync(path.join(run, 'logs', 'm.jsonl'), 'utf8').split('\n').filter(Boolean);
    const firstRun = records().length;
    // No checkpoints: only the moved metrics and status tell of the earlier run.
    await assert.rejects(runJob(recipe(), { logger: quietLogger() }), /already holds a run \(status finished at step 8, metrics\.jsonl\)/);
    const events = () => fs.readdirSync(path.join(run, 'tb')).filter((n) => n.startsWith('events.out.tfevents.'));
    assert.equal(events().length, 1);
    await runJob(recipe({ overwriteOutputDir: true }), { logger: quietLogger() });
    assert.equal(records().length, firstRun, 'the moved metrics hold only the new run');
    assert.equal(events().length, 1, 'the earlier event file was deleted');

    // A metrics file outside the run folder is not this setting's to delete.
    const outside = path.join(dir, 'shared-metrics.jsonl');
    fs.writeFileSync(outside, '{"step": 1}\n');
    const outsideRecipe = recipe({ overwriteOutputDir: true, callbacks: [{ type: 'metrics-jsonl', file: outside }] });
    await assert.rejects(runJob(outsideRecipe, { logger: quietLogger() }), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.message.includes(`${outside} is outside the run folder and holds metrics: overwriteOutputDir deletes only inside ${run}`), e.message);
      return true;
    });
    assert.equal(fs.readFileSync(outside, 'utf8'), '{"step": 1}\n');
  });

  it('a run that fails in setup marks its status failed where the recipe put the status file', async () => {
    const run = path.join(dir, 'moved-status');
    const recipe = { type: 'tiny', backend: 'cpu', epochs: 1, outputDir: run, callbacks: [{ type: 'status', file: 'logs/status.json' }], scheduler: { type: 'cosine', warmupSteps: 100 } };
    await assert.rejects(runJob(recipe, { logger: quietLogger() }), /warmup of 100 steps/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'logs', 'status.json'), 'utf8')).state, 'failed');
    assert.ok(!fs.existsSync(path.join(run, 'status.json')), 'no second status file in the run folder');
  });

  it("does not offer --resume for an earlier run that saved no checkpoint (was: 'Continue it with --resume', which then found no checkpoint)", async () => {
    const run = path.join(dir, 'no-checkpoints');
    const recipe = { type: 'tiny', backend: 'cpu', epochs: 1, outputDir: run, checkpoint: [] };
    await runJob(recipe, { logger: quietLogger() });
    await assert.rejects(runJob(recipe, { logger: quietLogger() }), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /already holds a run \(status finished at step 8, metrics\.jsonl\); a new run there would mix with it\. It saved no checkpoint to continue from: start over in it with --set overwriteOutputDir=true \(deletes its checkpoints, metrics and status\), or choose another folder with --set outputDir=\.\.\.$/,
      );
      return true;
    });
  });

  it('a folder whose earlier run failed before its first step is no earlier run', async () => {
    const run = path.join(dir, 'failed');
    // Fails at setup (a warmup longer than its 8 steps), after the run folder and status.json exist.
    await assert.rejects(runJob({ type: 'tiny', backend: 'cpu', epochs: 1, outputDir: run, scheduler: { type: 'cosine', warmupSteps: 100 } }, { logger: quietLogger() }), /warmup of 100 steps/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'status.json'), 'utf8')).state, 'failed');
    await runJob({ type: 'tiny', backend: 'cpu', epochs: 1, outputDir: run, checkpoint: [] }, { logger: quietLogger() });
  });

  it('a tokenizer path that is not there names tokenizer.path and where the recipe sets it', async () => {
    const recipe = path.join(dir, 'tok.yaml');
    fs.writeFileSync(
      recipe,
      ['type: causal', 'backend: cpu', 'trainIters: 1', 'tokenizer:', '  type: hf', '  path: nonexist', 'data: { type: causal, sources: [{ type: synthetic, count: 20 }], maxLength: 8 }', `outputDir: ${JSON.stringify(path.join(dir, 'run'))}`, ''].join('\n'),
    );
    await assert.rejects(runJob(recipe, { logger: quietLogger() }), (e: Error) => {
      assert.equal(
        e.message,
        `Invalid recipe: tokenizer.path: nonexist: no such file or folder (resolved to ${path.join(dir, 'nonexist')}); expected a HuggingFace tokenizer.json or a folder holding one (${path.relative(process.cwd(), recipe)}:6:9)`,
      );
      return true;
    });
  });

  it('a tokenizer folder without tokenizer.json names tokenizer.path and where the recipe sets it', async () => {
    const recipe = path.join(dir, 'tok.yaml');
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.writeFileSync(
      recipe,
      ['type: causal', 'backend: cpu', 'trainIters: 1', 'tokenizer:', '  type: hf', '  path: empty', 'data: { type: causal, sources: [{ type: synthetic, count: 20 }], maxLength: 8 }', `outputDir: ${JSON.stringify(path.join(dir, 'run'))}`, ''].join('\n'),
    );
    await assert.rejects(runJob(recipe, { logger: quietLogger() }), (e: Error) => {
      assert.equal(
        e.message,
        `Invalid recipe: tokenizer.path: empty: the folder (${path.join(dir, 'empty')}) has no tokenizer.json; name the file, or a folder holding a HuggingFace tokenizer.json (${path.relative(process.cwd(), recipe)}:6:9)`,
      );
      return true;
    });
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
