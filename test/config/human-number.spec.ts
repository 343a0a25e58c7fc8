import { strict as assert } from 'assert';
import { parseHumanNumber, Percent, resolveCount, validateRecipe } from '../../src';
import '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { escapeRegExp, expectConfigError, useRecipeDir } from './recipe-dir';

describe('parseHumanNumber', () => {
  const cases: Array<[string, number]> = [
    ['1k', 1000],
    ['2.5M', 2_500_000],
    ['2^10', 1024],
    ['1e-3', 0.001],
    ['3e4', 30_000],
    ['1_000', 1000],
    ['42', 42],
    ['-0.5', -0.5],
    [' 7 ', 7],
    ['1B', 1e9],
  ];
  for (const [text, expected] of cases) {
    it(`reads '${text}' as ${expected}`, () => {
      assert.equal(parseHumanNumber(text), expected);
    });
  }

  it('reads a percentage as a Percent of a total resolved later', () => {
    const p = parseHumanNumber('10%');
    assert.ok(p instanceof Percent);
    assert.equal(p.percent, 10);
    assert.equal(p.of(250), 25);
    assert.equal(resolveCount(p, 250), 25);
    assert.equal(resolveCount(7, 250), 7);
    assert.equal(new Percent(1).of(10), 1, 'a positive share is at least 1');
    assert.equal(JSON.stringify({ p }), '{"p":"10%"}');
  });

  for (const text of ['', 'lots', '1kk', '2^', '10 %x', 'k1']) {
    it(`rejects '${text}'`, () => {
      assert.equal(parseHumanNumber(text), undefined);
    });
  }
});

describe('human numbers in recipes', () => {
  isolateRegistries();
  const recipes = useRecipeDir();

  it('accepts human numbers where counts are expected', async () => {
    const file = recipes().write(
      'recipe.yaml',
      ['type: tiny', 'epochs: 2^3', 'microBatchSize: 1k', 'logInterval: 2.5k', 'trainIters: 10%', 'evalInterval: 1_000', 'optimizer:', '  lr: 1e-3', ''].join('\n'),
    );
    const { config } = await validateRecipe(file);
    assert.equal(config.epochs, 8);
    assert.equal(config.microBatchSize, 1000);
    assert.equal(config.logInterval, 2500);
    assert.ok(config.trainIters instanceof Percent && config.trainIters.percent === 10);
    assert.equal(config.evalInterval, 1000);
    assert.equal(config.optimizer.lr, 0.001);
  });

  it('reads human-number strings in rate fields too', async () => {
    const { config } = await validateRecipe({ type: 'tiny', optimizer: { lr: '2.5e-4' } });
    assert.equal(config.optimizer.lr, 2.5e-4);
  });

  it('rejects a non-number, a fraction, a percentage where none is taken and one past 100%, each with its path and line:col', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'epochs: 10%', 'microBatchSize: 1.5', 'logInterval: lots', 'trainIters: 150%', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.deepEqual(
      error.issues.map((i) => `${i.path}: ${i.message}`).sort(),
      [
        'epochs: takes no percentage (there is no total it would be a share of): give a whole number >= 1, got 10%',
        'microBatchSize: must be a whole number >= 1 (like 100, 1k, 2.5M, 2^10), got 1.5',
        'logInterval: must be a whole number >= 1 (like 100, 1k, 2.5M, 2^10), got "lots"',
        'trainIters: must be a percentage from 0% to 100%, got 150%',
      ].sort(),
    );
    assert.match(error.message, new RegExp(`epochs: .* \\(${escapeRegExp(r.at('recipe.yaml', 2, 9))}\\)`));
    assert.match(error.message, new RegExp(`trainIters: .* \\(${escapeRegExp(r.at('recipe.yaml', 5, 13))}\\)`));
  });
});
