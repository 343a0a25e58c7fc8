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
