import { strict as assert } from 'assert';
import { ConfigError, validateRecipe } from '../../src';

/** The one issue `validateRecipe` reports for a causal recipe with `optimizer`. */
async function optimizerIssue(optimizer: Record<string, unknown>): Promise<string> {
  const recipe = {
    type: 'causal',
    data: { type: 'causal', sources: [{ type: 'synthetic', task: 'addition', output: 'text' }], maxLength: 32 },
    model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 32 },
    optimizer,
  };
  const error = await validateRecipe(recipe).then(
    () => assert.fail('the recipe should be refused'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConfigError, String(error));
  assert.equal(error.issues.length, 1, error.message);
  return `${error.issues[0].path}: ${error.issues[0].message}`;
}

describe('AdamFamilyConfig', () => {
  it('refuses a beta above 0.999999 saying the real limit (0.9999999 is in [0, 1) yet refused)', async () => {
    for (const type of ['adamw', 'adam']) {
      assert.equal(await optimizerIssue({ type, betas: [0.9, 0.9999999] }), 'optimizer.betas: must each be from 0 to 0.999999, got [0.9,0.9999999]');
      assert.equal(await optimizerIssue({ type, betas: [1, 0.999] }), 'optimizer.betas: must each be from 0 to 0.999999, got [1,0.999]');
    }
    await validateRecipe({ type: 'causal', data: { type: 'causal', sources: [{ type: 'synthetic' }] }, optimizer: { betas: [0, 0.999999] } });
  });
});

describe('AdamWConfig', () => {
  it('refuses lr × weightDecay ≥ 1, which would zero or flip the decayed weights every step (PyTorch takes it silently)', async () => {
    assert.equal(
      await optimizerIssue({ type: 'adamw', lr: 0.01, weightDecay: 1e5 }),
      'optimizer.weightDecay: 100000 with lr 0.01 makes AdamW multiply the decayed weights by 1 - lr × weightDecay = -999 at every step, which zeroes or flips them: weightDecay must be below 1 / lr = 100 (typical values are 0.01 to 0.1)',
    );
    assert.match(await optimizerIssue({ type: 'adamw', lr: 0.5, weightDecay: 2 }), /= 0 at every step.*below 1 \/ lr = 2 /);
    // The field's own checks still hold alongside the rule.
    assert.equal(await optimizerIssue({ type: 'adamw', weightDecay: -1 }), 'optimizer.weightDecay: must not be less than 0, got -1');
    assert.equal(await optimizerIssue({ type: 'adamw', weightDecay: 'abc' }), 'optimizer.weightDecay: must be a number, got "abc"');
    // Just below the limit is allowed, and Adam's L2 decay (added to the gradient) has no such limit.
    const ok = { type: 'causal', data: { type: 'causal', sources: [{ type: 'synthetic' }] } };
    await validateRecipe({ ...ok, optimizer: { type: 'adamw', lr: 0.01, weightDecay: 99 } });
    await validateRecipe({ ...ok, optimizer: { type: 'adam', lr: 0.01, weightDecay: 1e5 } });
  });
});
