import { strict as assert } from 'assert';
import { diffRecipes, formatRecipeChange } from '../../src/checkpoint';

describe('diffRecipes', () => {
  const saved = {
    seed: 7,
    epochs: 2,
    outputDir: 'runs/a',
    // `npm start` trains with overwriteOutputDir=true; `--resume` of that run leaves it out.
    overwriteOutputDir: true,
    logInterval: 10,
    checkpoint: [{ type: 'floe', saveEveryNSteps: 10 }],
    data: { type: 'causal', cache: true, sources: [{ type: 'synthetic', count: 60 }], trainEvalSplit: [0.9, 0.1] },
    model: { type: 'gpt', dim: 16, hidden: [64, 64] },
    optimizer: { type: 'adamw', lr: 0.003, betas: [0.9, 0.999], weightDecay: 0.01 },
  };

  it('lists changed settings by path, old → new, and leaves out those a resumption may change', () => {
    const current = {
      ...saved,
      seed: 8,
      epochs: 4,
      outputDir: 'runs/b',
      overwriteOutputDir: false,
      logInterval: 1,
      checkpoint: [{ type: 'floe', saveEveryNSteps: 5, autoResume: true }],
      data: { ...saved.data, cache: false, sources: [{ type: 'synthetic', count: 80 }, { type: 'text', path: 'a.txt' }], trainEvalSplit: [0.8, 0.2] },
      model: { type: 'gpt', dim: 32, hidden: [64, 64] },
      extra: null,
    };
    assert.deepEqual(diffRecipes(saved, current).map(formatRecipeChange), [
      'seed: 7 → 8',
      'data.sources[0].count: 60 → 80',
      'data.sources[1]: (unset) → {"type":"text","path":"a.txt"}',
      'data.trainEvalSplit: [0.9, 0.1] → [0.8, 0.2]',
      'model.dim: 16 → 32',
    ]);
    assert.deepEqual(diffRecipes(saved, structuredClone(saved)), []);
  });

  it('reports a changed component type once, with only the fields both types have', () => {
    const current = { ...saved, optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.01 } };
    assert.deepEqual(diffRecipes(saved, current).map(formatRecipeChange), ['optimizer.type: adamw → sgd', 'optimizer.lr: 0.003 → 0.01']);
  });

  it('takes exempt paths from its caller', () => {
    assert.deepEqual(diffRecipes({ a: { b: 1, c: 1 } }, { a: { b: 2, c: 2 } }, ['a.b']).map(formatRecipeChange), ['a.c: 1 → 2']);
  });
});
