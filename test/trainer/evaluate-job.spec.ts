import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, evaluateJob, Logger } from '../../src';
import { runCli } from '../../src/cli/main';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { fakeGroup } from '../distributed/fixtures/fake-group';

const silent = (): Logger => new Logger({ sink: () => undefined });

/** Every file of a folder with its bytes, to check a folder is left as it was. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(path.join(entry.parentPath, entry.name), fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('base64'));
  }
  return files;
}

describe('evaluateJob and floe evaluate', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  let recipe: Record<string, unknown>;
  let evals: Map<number, Record<string, number>>;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-evaluate-'));
    run = path.join(dir, 'run');
    recipe = tinyGptRecipe(run, { trainIters: 12, evalInterval: 6, checkpoint: [{ type: 'floe', saveEveryNSteps: 6 }] });
    ({ evals } = await runRecorded(recipe));
  });
  after(() => cleanup());

  it("gives a checkpoint's eval metrics exactly as training measured them at its step, touching no run folder", async () => {
    const before = snapshot(run);
    const tensors = tf.memory().numTensors;
    for (const step of [6, 12]) {
      const checkpoint = path.join(run, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
      const result = await evaluateJob(recipe, { checkpoint, logger: silent() });
      assert.equal(result.checkpoint, checkpoint);
      assert.equal(result.step, step);
      assert.deepEqual(result.metrics, evals.get(step), `step ${step}`);
    }
    // A run folder means its newest checkpoint.
    assert.equal((await evaluateJob(recipe, { checkpoint: run, logger: silent() })).step, 12);
    assert.equal(tf.memory().numTensors, tensors, 'evaluation left tensors behind');
    assert.deepEqual(snapshot(run), before, 'the run folder is untouched');
  });

  it('ranks of a group share the eval split and each gets the metrics of one process', async () => {
    const alone = await evaluateJob(recipe, { checkpoint: run, logger: silent() });
    assert.deepEqual([alone.rank, alone.ranks], [0, 1]);
    const lines: string[] = [];
    const logger = (rank: number): Logger => new Logger({ sink: (_level, line) => lines.push(`${rank}: ${line}`) });
    const tensors = tf.memory().numTensors;
    const shared = await Promise.all(fakeGroup(2).map((communicator) => evaluateJob({ ...recipe, quiet: false }, { checkpoint: run, logger: logger(communicator.rank), communicator })));
    assert.equal(tf.memory().numTensors, tensors, 'evaluation left tensors behind');
    assert.deepEqual(
      shared.map((r) => [r.rank, r.ranks, r.step]),
      [
        [0, 2, 12],
        [1, 2, 12],
      ],
    );
    // The ranks' sums meet in float32.
    for (const r of shared) {
      assert.deepEqual(Object.keys(r.metrics), Object.keys(alone.metrics));
      for (const [name, value] of Object.entries(alone.metrics)) assert.ok(Math.abs(r.metrics[name] - value) <= 1e-6 * Math.abs(value), `rank ${r.rank} ${name}: ${r.metrics[name]} vs ${value}`);
    }
    // Rank 0 alone says so.
    assert.deepEqual(
      lines.filter((l) => l.includes('floe: evaluating')),
      ['0: floe: evaluating on 2 ranks, each its share of the eval split'],
    );
  });

  it('the CLI prints the metrics, or one JSON line; a recipe without an eval split is a recipe error', async () => {
    const file = path.join(dir, 'recipe.json');
    fs.writeFileSync(file, JSON.stringify(recipe));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    assert.equal(await runCli(['evaluate', file, '--checkpoint', run, '--json', '--set', 'quiet=false'], io), 0, err.join('\n'));
    // stdout is the JSON alone, so `floe evaluate ... --json | jq` works; 'model: N parameters' goes to stderr.
    assert.equal(out.length, 1, out.join('\n'));
    assert.ok(err.some((l) => /^model: [\d,]+ parameters$/.test(l)), err.join('\n'));
    const printed = JSON.parse(out[0]) as { step: number; metrics: Record<string, number> };
    assert.equal(printed.step, 12);
    assert.deepEqual(printed.metrics, evals.get(12));
    out.length = 0;
    assert.equal(await runCli(['evaluate', file, '--checkpoint', run], io), 0, err.join('\n'));
    assert.ok(out.some((l) => l === `  eval/loss: ${evals.get(12)?.['eval/loss']}`), out.join('\n'));

    await assert.rejects(evaluateJob(recipe, { checkpoint: run, logger: silent(), overrides: ['data.trainEvalSplit=[1, 0]'] }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /data\.trainEvalSplit: the data has no eval split to evaluate on .*trainEvalSplit: \[0\.9, 0\.1\]/);
      return true;
    });
    assert.equal(await runCli(['evaluate', file, '--checkpoint', path.join(dir, 'nope')], io), 1);
    assert.match(err.at(-1) as string, /No Floe checkpoint at/);
  });

  it('needs no optimizer state and no floe engine in the recipe, and warns only about settings that change the evaluation', async () => {
    const lines: string[] = [];
    const logger = new Logger({ sink: (_level, line) => lines.push(line) });
    // Another optimizer cannot take the checkpoint's Adam state, but an evaluation does not load it; the recipe saves exports only.
    const other = { ...recipe, seed: 8, microBatchSize: 2, optimizer: { type: 'sgd', lr: 0.5 }, checkpoint: [{ type: 'safetensors' }] };
    const result = await evaluateJob(other, { checkpoint: run, logger });
    assert.equal(result.step, 12);
    // The fixture's tiny tokenizer lacks some characters of the synthetic text: the data warns about it (a7b343e), not about settings.
    const warned = lines.filter((l) => l.startsWith('warn: ') && !l.startsWith('warn: data ('));
    assert.equal(warned.length, 1, lines.join('\n'));
    // seed decides the eval split; the optimizer and the batch size do not change what is measured.
    assert.match(warned[0], /^warn: evaluating with 1 setting changed from .*recipe\.yaml \(checkpoint's → now\):\n {2}- seed: 7 → 8$/);
  });

  it("another kind of model (trainer or model type) is named before the weights' names", async () => {
    const supervised = { type: 'supervised', data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'spirals', count: 60 }], trainEvalSplit: [0.8, 0.2] }, model: { type: 'mlp', hidden: [4] }, loss: { type: 'cross-entropy' } };
    const { tokenizer: _t, ...rest } = recipe;
    await assert.rejects(evaluateJob({ ...rest, ...supervised }, { checkpoint: run, logger: silent() }), (error: Error) => {
      assert.equal(error.name, 'CheckpointError', error.message);
      assert.ok(error.message.startsWith(`Checkpoint ${path.join(run, 'checkpoints', 'step-000012')} holds another kind of model: it was written by trainer 'causal', model 'gpt', but the recipe asks for 'supervised' (type), 'mlp' (model.type). Evaluate with the checkpoint's settings.\n`), error.message);
      assert.match(error.message, /model\.safetensors does not match the model: missing weight 'layers\.0\.weight'/);
      return true;
    });
  });
});
