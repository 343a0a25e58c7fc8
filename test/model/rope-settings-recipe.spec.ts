import { strict as assert } from 'assert';
import * as path from 'path';
import { LanguageModelTrainer, validateRecipe } from '../../src';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { expectConfigError, useRecipeDir } from '../config/recipe-dir';

const HEAD = ['type: causal', 'data: { sources: [{ type: synthetic }] }', 'model:', '  type: gpt', '  dim: 16'];

describe('model.ropeTheta and model.ropeScaling in recipes', () => {
  describe('validation', () => {
    const recipes = useRecipeDir();

    it('takes ropeTheta with rope positions and refuses it with learned ones at model.ropeTheta, located', async () => {
      const r = recipes();
      const rope = r.write('rope.yaml', [...HEAD, '  position: rope', '  ropeTheta: 500000', ''].join('\n'));
      await validateRecipe(rope);
      const learned = r.write('learned.yaml', [...HEAD, '  ropeTheta: 500000', ''].join('\n'));
      const error = await expectConfigError(validateRecipe(learned));
      assert.equal(
        error.message,
        `Invalid recipe: model.ropeTheta: is set but position is "learned": ropeTheta is the base frequency of rotary positions; set position: rope or remove ropeTheta (${r.at('learned.yaml', 6, 14)})`,
      );
      for (const bad of ['0', '-5']) {
        const e = await expectConfigError(validateRecipe(rope, { overrides: [`model.ropeTheta=${bad}`] }));
        assert.deepEqual(e.issues.map((i) => i.path), ['model.ropeTheta']);
        assert.match(e.message, /must be a positive number/);
      }
    });
  });

  describe('runs', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-rope-')));
    afterEach(() => cleanup());

    it('builds the model with the recipe ropeTheta (default 10000)', async () => {
      const thetaOf = async (name: string, model: Record<string, unknown>): Promise<number> => {
        let theta = 0;
        await runRecorded(tinyGptRecipe(path.join(dir, name), { trainIters: 1, scheduler: { type: 'constant' }, checkpoint: [], model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16, position: 'rope', ...model } }), {
          onTrainerReady: async (trainer) => {
            theta = (trainer as LanguageModelTrainer).gpt.options.ropeTheta;
          },
        });
        return theta;
      };
      assert.equal(await thetaOf('set', { ropeTheta: 500000 }), 500000);
      assert.equal(await thetaOf('default', {}), 10000);
    });
  });
});
