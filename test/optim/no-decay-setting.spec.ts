import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { AdamWConfig, AdamWOptimizerFactory, Logger, SgdConfig, SgdOptimizerFactory, Trainer } from '../../src';

/** A trainer stand-in with the weights the factories read, and a logger that records lines. */
function trainerWith(params: Map<string, tf.Variable>, lines: string[]): Trainer {
  const logger = new Logger({ sink: (_level, line) => void lines.push(line) });
  return { model: { params }, dp: { isMain: true }, logger } as unknown as Trainer;
}

describe('optimizer.noDecay (the recipe setting)', () => {
  let params: Map<string, tf.Variable>;
  beforeEach(() => {
    params = new Map([
      ['blocks.0.mlp.up.weight', tf.variable(tf.ones([2]))],
      ['blocks.0.mlp.up.bias', tf.variable(tf.ones([2]))],
      ['norm.weight', tf.variable(tf.ones([2]))],
    ]);
  });
  afterEach(() => tf.dispose([...params.values()]));

  /** Weights after one AdamW step with zero gradients: only decoupled decay moves them (p·(1 - lr·wd)). */
  async function afterZeroGradStep(noDecay: string[] | undefined, lines: string[]): Promise<Record<string, number>> {
    const config = Object.assign(new AdamWConfig(), { type: 'adamw', lr: 0.1, weightDecay: 0.5 }, noDecay === undefined ? {} : { noDecay });
    const optimizer = new AdamWOptimizerFactory(trainerWith(params, lines), config).createOptimizer();
    const grads = new Map([...params].map(([name, v]) => [name, tf.zerosLike(v)] as [string, tf.Tensor]));
    optimizer.applyGradients(params, grads, 0.1);
    tf.dispose([...grads.values()]);
    optimizer.dispose();
    const out: Record<string, number> = {};
    for (const [name, v] of params) out[name] = (await v.data())[0];
    return out;
  }

  it('spares biases and norms by default; [] decays every weight; a list replaces the default', async () => {
    const decayed = Math.fround(1 - 0.1 * 0.5);
    const lines: string[] = [];
    assert.deepEqual(await afterZeroGradStep(undefined, lines), { 'blocks.0.mlp.up.weight': decayed, 'blocks.0.mlp.up.bias': 1, 'norm.weight': 1 });
    params.forEach((v) => v.assign(tf.onesLike(v)));
    assert.deepEqual(await afterZeroGradStep([], lines), { 'blocks.0.mlp.up.weight': decayed, 'blocks.0.mlp.up.bias': decayed, 'norm.weight': decayed });
    params.forEach((v) => v.assign(tf.onesLike(v)));
    assert.deepEqual(await afterZeroGradStep(['*.up.*'], lines), { 'blocks.0.mlp.up.weight': 1, 'blocks.0.mlp.up.bias': 1, 'norm.weight': decayed });
    assert.deepEqual(lines, [], 'patterns that match a weight, and the defaults, warn about nothing');
  });

  it('warns about a pattern that matches no weight (a typo exempts nothing), listing the weights', () => {
    const lines: string[] = [];
    const config = Object.assign(new SgdConfig(), { type: 'sgd', noDecay: ['*.baises', '*norm*', '*.bias'] });
    new SgdOptimizerFactory(trainerWith(params, lines), config).createOptimizer().dispose();
    assert.deepEqual(lines, [
      "warn: optimizer.noDecay: '*.baises' matches no weight of the model, so it exempts nothing from weight decay. " +
        'Patterns are globs over whole weight names (* is any run, ? one character); the weights are: blocks.0.mlp.up.weight, blocks.0.mlp.up.bias, norm.weight.',
    ]);
  });
});
