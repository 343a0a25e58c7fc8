import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { stepLosses, tinyRecipe } from '../distributed/dp-recipes';
import { useTempDir } from '../fixtures/supervised';
import { observe, sameBits, type Observed } from './observe-run';

/** Asserts the `frozen` weights kept every bit and every other weight moved. */
function assertFrozen(run: Observed, frozen: (name: string) => boolean): void {
  assert.ok(run.before.size > 0);
  for (const [name, start] of run.before) {
    if (frozen(name)) assert.ok(sameBits(start, run.after.get(name)), `${name} is frozen: bit-identical`);
    else assert.ok(!sameBits(start, run.after.get(name)), `${name} is trainable: it changed`);
  }
}

const mlpRecipe = (outputDir: string, fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'supervised',
  backend: 'cpu',
  seed: 3,
  progress: 'none',
  report: false,
  tensorboard: false,
  status: false,
  epochs: 10,
  trainIters: 30,
  microBatchSize: 16,
  logInterval: 1,
  outputDir,
  data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'spirals', count: 240 }], trainEvalSplit: [0.9, 0.1] },
  model: { type: 'mlp', hidden: [16] },
  loss: { type: 'cross-entropy' },
  // Weight decay would move a frozen weight even without a gradient.
  optimizer: { type: 'adamw', lr: 0.01, weightDecay: 0.1, noDecay: [] },
  scheduler: { type: 'constant' },
  checkpoint: [],
  ...fields,
});

describe('freeze (the recipe setting)', () => {
  const tmp = useTempDir('floe-freeze-');

  it('MLP: frozen weights keep every bit, get no optimizer state and no decay; the rest train and the loss falls', async () => {
    const out = path.join(tmp(), 'run');
    const run = await observe(mlpRecipe(out, { freeze: ['layers.0.*'] }));
    assert.equal(run.result.globalStep, 30);
    assertFrozen(run, (name) => name.startsWith('layers.0.'));
    assert.deepEqual(run.stateKeys.sort(), ['output.bias/m', 'output.bias/v', 'output.weight/m', 'output.weight/v', 'step']);
    const losses = stepLosses(out);
    assert.ok(losses[losses.length - 1] < losses[0], `the loss falls (${losses[0]} → ${losses[losses.length - 1]})`);
    assert.ok(run.lines.includes('info: freeze: 51 parameters trainable, 48 frozen (2 weights): layers.0.weight, layers.0.bias'), run.lines.join('\n'));
  });

  it('GPT: frozen embeddings and attention keep every bit, their gradient kernels never run; the loss falls', async () => {
    const gather = tf.getGradient('GatherV2');
    let gatherGradients = 0;
    tf.registerGradient({ ...gather, gradFunc: (dy, saved, attrs) => (gatherGradients++, gather.gradFunc(dy, saved, attrs)) });
    const gpt = (name: string, freeze: string[]): Record<string, unknown> =>
      tinyRecipe(path.join(tmp(), name), { distributed: 'none', quiet: false, trainIters: 12, freeze, callbacks: [] });
    try {
      const frozen = await observe(gpt('frozen', ['embed.*', 'blocks.0.attn.*']));
      assert.equal(gatherGradients, 0, 'no gradient of the token embedding gather');
      assertFrozen(frozen, (name) => name.startsWith('embed.') || name.startsWith('blocks.0.attn.'));
      assert.ok(frozen.stateKeys.length > 1 && frozen.stateKeys.every((k) => !k.startsWith('embed.') && !k.startsWith('blocks.0.attn.')), frozen.stateKeys.join(', '));
      const losses = stepLosses(path.join(tmp(), 'frozen'));
      assert.ok(losses[11] < losses[0], `the loss falls (${losses[0]} → ${losses[11]})`);

      await observe(gpt('trainable', []));
      assert.ok(gatherGradients > 0, 'without freeze the embedding gets its gradient through the gather');
    } finally {
      tf.registerGradient(gather);
    }
  });

  it('a pattern that matches no parameter is an error at freeze[i], in the recipe file, naming the parameters and the likely one', async () => {
    const file = path.join(tmp(), 'recipe.yaml');
    fs.writeFileSync(file, JSON.stringify(mlpRecipe(path.join(tmp(), 'run'), { freeze: ['output.*', 'layers.0.weigth'] }), null, 1));
    await assert.rejects(observe(file), (error: Error) => {
      assert.match(error.message, /^Invalid recipe: freeze\[1\]: 'layers\.0\.weigth' matches no parameter of the model \(.*recipe\.yaml:\d+:\d+\)\. /);
      assert.ok(error.message.endsWith("the parameters are: layers.0.weight, layers.0.bias, output.weight, output.bias. Did you mean 'layers.0.weight'?"), error.message);
      return true;
    });
  });

  it('freezing every parameter is an error', async () => {
    await assert.rejects(
      observe(mlpRecipe(path.join(tmp(), 'run'), { freeze: ['layers.*', 'output.*'] })),
      /Invalid recipe: freeze: matches every parameter of the model \(4: layers\.0\.weight, layers\.0\.bias, output\.weight, output\.bias\), so training would change nothing/,
    );
  });

  it('resuming with another freeze list drops the newly frozen state and starts the newly trainable fresh, saying so', async () => {
    const out = path.join(tmp(), 'run');
    const floe = [{ type: 'floe', saveEndOfTraining: true }];
    const first = await observe(mlpRecipe(out, { trainIters: 10, freeze: ['layers.0.*'], checkpoint: floe }));
    const resumed = await observe(mlpRecipe(out, { trainIters: 20, freeze: ['output.*'], checkpoint: floe }), { resumeFrom: first.result.lastCheckpointPath });
    assert.equal(resumed.result.globalStep, 20);
    assertFrozen(resumed, (name) => name.startsWith('output.'));
    assert.ok(
      resumed.lines.includes(
        "info: resume: optimizer state fitted to freeze: the saved state of 2 parameters frozen now is dropped (output.weight, output.bias); 2 trainable parameters without saved state (frozen in the checkpoint's run, or never updated) start with fresh optimizer state (layers.0.weight, layers.0.bias)",
      ),
      resumed.lines.join('\n'),
    );
    // Updated in 10 of the 20 steps: their own count (bias correction from 1), no state for output.*.
    assert.deepEqual(resumed.stateKeys.sort(), ['layers.0.bias/m', 'layers.0.bias/step', 'layers.0.bias/v', 'layers.0.weight/m', 'layers.0.weight/step', 'layers.0.weight/v', 'step']);
  });
});
