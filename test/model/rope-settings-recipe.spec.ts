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

    it('takes ropeScaling llama3 with rope positions; refuses it with learned ones, another type or inverted factors, each at its path', async () => {
      const r = recipes();
      const scaling = '  ropeScaling: { type: llama3, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxLength: 8192 }';
      await validateRecipe(r.write('rope.yaml', [...HEAD, '  position: rope', scaling, ''].join('\n')));
      const learned = await expectConfigError(validateRecipe(r.write('learned.yaml', [...HEAD, scaling, ''].join('\n'))));
      assert.equal(
        learned.message,
        `Invalid recipe: model.ropeScaling: is set but position is "learned": ropeScaling rescales rotary positions; set position: rope or remove ropeScaling (${r.at('learned.yaml', 6, 16)})`,
      );
      const bad = r.write('bad.yaml', [...HEAD, '  position: rope', '  ropeScaling: { type: longrope, factor: 8, lowFreqFactor: 4, highFreqFactor: 1, originalMaxLength: 8192 }', ''].join('\n'));
      const error = await expectConfigError(validateRecipe(bad));
      assert.deepEqual(error.issues.map((i) => i.path), ['model.ropeScaling.type', 'model.ropeScaling.highFreqFactor']);
      assert.match(error.message, /model\.ropeScaling\.type: .*llama3/);
      assert.match(error.message, /model\.ropeScaling\.highFreqFactor: is 1 but lowFreqFactor is 4: .*highFreqFactor must be greater than lowFreqFactor \(.*bad\.yaml:7:79\)/);
    });

    it('refuses an unknown type written alone (ropeScaling: { type: longrope }) by its type only, not by the fields it lacks', async () => {
      const r = recipes();
      const longrope = r.write('longrope.yaml', [...HEAD, '  position: rope', '  ropeScaling: { type: longrope }', ''].join('\n'));
      const error = await expectConfigError(validateRecipe(longrope));
      assert.equal(error.message, `Invalid recipe: model.ropeScaling.type: must be one of the following values: llama3, linear, yarn, dynamic, got "longrope" (${r.at('longrope.yaml', 7, 24)})`);
      // llama3 written alone lacks its four numbers, yarn its two; no type at all lacks the type (and factor, which every type needs).
      const cases: Array<[string, string, string[]]> = [
        ['bare', '{ type: llama3 }', ['factor', 'lowFreqFactor', 'highFreqFactor', 'originalMaxLength']],
        ['yarn', '{ type: yarn }', ['factor', 'originalMaxLength']],
        ['untyped', '{ factor: 8 }', ['type']],
        ['empty', '{ originalMaxLength: 8 }', ['type', 'factor']],
      ];
      for (const [name, scaling, missing] of cases) {
        const e = await expectConfigError(validateRecipe(r.write(`${name}.yaml`, [...HEAD, '  position: rope', `  ropeScaling: ${scaling}`, ''].join('\n'))));
        assert.deepEqual(e.issues.map((i) => i.path).sort(), missing.map((f) => `model.ropeScaling.${f}`).sort(), name);
      }
    });
    it('takes linear, yarn and dynamic with their settings; refuses a setting of another type and dynamic past originalMaxLength, located', async () => {
      const r = recipes();
      const rope = (name: string, lines: string[]): string => r.write(`${name}.yaml`, [...HEAD, '  position: rope', '  maxLength: 128', ...lines, ''].join('\n'));
      await validateRecipe(rope('linear', ['  ropeScaling: { type: linear, factor: 4 }']));
      await validateRecipe(rope('yarn', ['  ropeScaling: { type: yarn, factor: 4, originalMaxLength: 16, betaFast: 16, betaSlow: 2, attentionFactor: 1.2, truncate: false }']));
      await validateRecipe(rope('dynamic', ['  ropeScaling: { type: dynamic, factor: 2, originalMaxLength: 128 }']));
      const foreign = await expectConfigError(validateRecipe(rope('foreign', ['  ropeScaling: { type: linear, factor: 4, betaFast: 16 }'])));
      assert.equal(foreign.message, `Invalid recipe: model.ropeScaling.betaFast: is not a setting of type linear, which takes factor (${r.at('foreign.yaml', 8, 53)})`);
      const yarnMissing = await expectConfigError(validateRecipe(rope('missing', ['  ropeScaling: { type: yarn, factor: 4, lowFreqFactor: 1 }'])));
      assert.deepEqual(yarnMissing.issues.map((i) => i.path).sort(), ['model.ropeScaling.lowFreqFactor', 'model.ropeScaling.originalMaxLength']);
      assert.match(yarnMissing.message, /lowFreqFactor: is not a setting of type yarn, which takes factor, originalMaxLength \(and optionally betaFast, betaSlow, attentionFactor, mscale, mscaleAllDim, truncate\)/);
      const dynamic = await expectConfigError(validateRecipe(rope('long', ['  ropeScaling: { type: dynamic, factor: 2, originalMaxLength: 32 }'])));
      assert.equal(
        dynamic.message,
        `Invalid recipe: model.ropeScaling: is dynamic scaling with maxLength 128 above originalMaxLength 32: HF's dynamic NTK raises the RoPE base per sequence length past 32 tokens, which Floe does not implement; set maxLength ≤ 32, or use linear or yarn scaling (${r.at('long.yaml', 8, 16)})`,
      );
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
