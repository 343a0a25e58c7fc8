import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Logger, runJob, Trainer } from '../../src';
import { useTempDir } from '../fixtures/supervised';
import { tinyGptRecipe } from '../fixtures/tiny-gpt-recipe';

const LORA = { rank: 2, targets: ['*.attn.qkv', '*.mlp.down'] };

/**
 * The trainable weights the run's own optimizer (built from the recipe) decays: each is set to 1,
 * then one step with zero gradients moves only what weight decay touches (Adam's step is 0).
 */
async function decayedWeights(dir: string, optimizer: Record<string, unknown>): Promise<{ decayed: string[]; trainable: string[]; warnings: string[] }> {
  const recipe = tinyGptRecipe({ outputDir: dir, lora: LORA, optimizer: { type: 'adamw', lr: 0.1, weightDecay: 0.5, ...optimizer } });
  const warnings: string[] = [];
  let decayed: string[] = [];
  let trainable: string[] = [];
  const logger = new Logger({ level: 'warn', sink: (level, line) => void (level === 'warn' && warnings.push(line)) });
  await runJob(recipe, {
    logger,
    onTrainerReady: async (trainer: Trainer) => {
      const params = trainer.trainableParams;
      trainable = [...params.keys()];
      for (const v of params.values()) tf.tidy(() => v.assign(tf.onesLike(v)));
      const grads = new Map([...params].map(([name, v]) => [name, tf.zerosLike(v)] as [string, tf.Tensor]));
      trainer.optimizer.applyGradients(trainer.model.params as Map<string, tf.Variable>, grads, 0.1);
      tf.dispose([...grads.values()]);
      decayed = [];
      for (const [name, v] of params) if ((await v.data()).every((x) => x === Math.fround(1 - 0.1 * 0.5))) decayed.push(name);
      for (const v of params.values()) tf.tidy(() => v.assign(tf.onesLike(v).mul(0.01)));
    },
  });
  return { decayed, trainable, warnings };
}

describe('model.lora and weight decay', () => {
  const tmp = useTempDir('floe-lora-decay-');
  const FACTORS = ['blocks.0.attn.qkv.lora_a', 'blocks.0.attn.qkv.lora_b', 'blocks.0.mlp.down.lora_a', 'blocks.0.mlp.down.lora_b'];

  it('adamw decays the LoRA factors by default (as HF PEFT with AdamW does)', async () => {
    const run = await decayedWeights(path.join(tmp(), 'default'), {});
    assert.deepEqual(run.trainable, FACTORS, 'only the factors train');
    assert.deepEqual(run.decayed, FACTORS);
  });

  it("optimizer.noDecay ['*.lora_a', '*.lora_b'] (or '*.lora_*') exempts them, with no unmatched-pattern warning", async () => {
    for (const noDecay of [['*.lora_a', '*.lora_b'], ['*.lora_*']]) {
      const run = await decayedWeights(path.join(tmp(), noDecay.length.toString()), { noDecay });
      assert.deepEqual(run.trainable, FACTORS);
      assert.deepEqual(run.decayed, [], noDecay.join(', '));
      assert.deepEqual(run.warnings, []);
    }
    const one = await decayedWeights(path.join(tmp(), 'a-only'), { noDecay: ['*.lora_a'] });
    assert.deepEqual(one.decayed, FACTORS.filter((n) => n.endsWith('.lora_b')), 'a pattern exempts only what it matches');
  });
});
