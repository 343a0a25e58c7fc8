import { strict as assert } from 'assert';
import { DistributedSetupError, validateRecipe } from '../../src';
import { checkSameRecipe, recipeFingerprint } from '../../src/distributed/recipe-agreement';
import { fakeGroup } from './fixtures/fake-group';

const base = {
  type: 'sft',
  tokenizer: { type: 'byte' },
  data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 10 }], maxLength: 16 },
  model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16 },
  optimizer: { type: 'adamw', lr: 0.01 },
};

async function configOf(fields: Record<string, unknown>): Promise<object> {
  return (await validateRecipe({ ...base, ...fields })).config;
}

describe('ranks agree on the recipe', () => {
  it('a rank whose recipe differs in a setting that shapes training fails, naming each setting and both values', async () => {
    const [r0, r1] = fakeGroup(2);
    const results = await Promise.allSettled([
      checkSameRecipe(r0, await configOf({ microBatchSize: 4 })),
      checkSameRecipe(r1, await configOf({ microBatchSize: 8, optimizer: { type: 'adamw', lr: 0.02 } })),
    ]);
    assert.equal(results[0].status, 'fulfilled');
    assert.equal(results[1].status, 'rejected');
    const error = (results[1] as PromiseRejectedResult).reason as Error;
    assert.ok(error instanceof DistributedSetupError);
    assert.equal(
      error.message,
      "Rank 1's recipe differs from rank 0's: microBatchSize is 8 here but 4 on rank 0; optimizer.lr is 0.02 here but 0.01 on rank 0. " +
        'Every rank must train the same recipe: give every mpirun rank the same recipe file and --set flags (on several hosts, the same file at the same path).',
    );
  });

  it('what a rank shows, writes or how long it waits may differ; long values are compared by hash', async () => {
    const [r0, r1] = fakeGroup(2);
    await Promise.all([
      checkSameRecipe(r0, await configOf({ quiet: false, progress: 'bar', handleSignals: true, distributed: { timeoutSec: 30 } })),
      checkSameRecipe(r1, await configOf({ quiet: true, progress: 'none', handleSignals: false, distributed: { timeoutSec: 60 } })),
    ]);
    const long = 'x'.repeat(500);
    const a = recipeFingerprint({ data: { systemPrompt: long } });
    assert.match(a['data.systemPrompt'], /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(a['data.systemPrompt'], recipeFingerprint({ data: { systemPrompt: `${long}y` } })['data.systemPrompt']);
  });
});
