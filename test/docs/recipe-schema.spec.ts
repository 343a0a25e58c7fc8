import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { IsIn, IsPositive } from 'class-validator';
import { parse as parseYaml } from 'yaml';
import { ComponentList, ModelConfig, OptimizerConfig, OptimizerFactory, register, validateRecipe } from '../../src';
import { runCli } from '../../src/cli/main';
import { buildRecipeSchema, componentDefinitionName } from '../../src/docs/recipe-schema';
import { TinyModelFactory, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

const REPO = path.resolve(__dirname, '../../..');
const RECIPES = path.join(REPO, 'recipes');

function compile(schema: object): ValidateFunction {
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

function errorsOf(validate: ValidateFunction, recipe: unknown): string {
  return validate(recipe) ? '' : JSON.stringify(validate.errors, null, 1);
}

/** What a property that may also be null (`anyOf: [schema, { type: 'null' }]`) takes otherwise. */
function unlessNull(property: Record<string, unknown>): Record<string, unknown> {
  const branches = property.anyOf as Array<Record<string, unknown>>;
  assert.deepEqual(branches.at(-1), { type: 'null' }, JSON.stringify(property));
  assert.equal(branches.length, 2, JSON.stringify(property));
  return branches[0];
}

/** The `type`s a section or component choice allows. */
function typeChoices(choice: Record<string, unknown>): unknown {
  return (choice.properties as Record<string, { enum: string[] }>).type.enum;
}

/** True when Floe's own validation accepts the recipe (an object recipe, resolved against recipes/). */
async function floeAccepts(recipe: Record<string, unknown>): Promise<boolean> {
  try {
    await validateRecipe(recipe, { baseDir: RECIPES });
    return true;
  } catch {
    return false;
  }
}

/** A small valid recipe of each built-in trainer, to vary. */
const BASES: Record<string, Record<string, unknown>> = {
  causal: { type: 'causal', data: { sources: [{ type: 'synthetic', count: 100 }] } },
  sft: { type: 'sft', data: { sources: [{ type: 'synthetic', output: 'chat' }] } },
  supervised: { type: 'supervised', data: { sources: [{ type: 'synthetic-tabular' }] }, loss: { type: 'cross-entropy' } },
};

function variant(base: keyof typeof BASES, patch: Record<string, unknown>): Record<string, unknown> {
  return { ...structuredClone(BASES[base]), ...patch };
}

/** Recipes Floe accepts: the schema must accept them too (human numbers, shorthands, defaults). */
const GOOD: Array<[string, Record<string, unknown>]> = [
  ['a recipe with no type (causal assumed)', { data: { sources: { type: 'text', paths: 'data/tiny.txt' } } }],
  ['human-number counts and a percentage', variant('causal', { epochs: '2', microBatchSize: '1k', evalInterval: '10%', trainIters: '2^10', data: { sources: [{ type: 'synthetic', count: '60k' }], maxLength: '1_024' }, model: { type: 'gpt', maxLength: '2k' } })],
  ['backend and distributed given as a name', variant('causal', { backend: 'wasm', distributed: 'none' })],
  ['backend given as a mapping', variant('causal', { backend: { name: 'cpu', threads: 1 } })],
  ['one checkpoint engine as a mapping, not a list', variant('sft', { checkpoint: { type: 'safetensors', saveEveryNSteps: '25%' } })],
  ['a section without type takes the default', variant('sft', { optimizer: { lr: 1e-3, weightDecay: 0 }, scheduler: { warmupSteps: 10 } })],
  ['callbacks with their types', variant('sft', { callbacks: [{ type: 'early-stopping', patience: 2 }, { type: 'kill-switch' }] })],
  ['nested settings of a component', variant('causal', { checkpoint: [{ type: 'floe', keepBest: { metric: 'eval/loss', mode: 'min' } }] })],
  ['a learning rate written as a human number', variant('causal', { optimizer: { type: 'sgd', lr: '1e-2', momentum: 0.9 } })],
  // `null` unsets: the setting takes its default, as if left out.
  ['null for the trainer type, settings, sections and recipe keys', variant('causal', { type: null, seed: null, outputDir: null, optimizer: null, checkpoint: null, callbacks: null, extends: null, code: null, plugins: null })],
  ['null for settings of sections, components and nested settings', variant('causal', { optimizer: { type: 'adamw', lr: null }, backend: { name: 'cpu', threads: null }, data: { sources: [{ type: 'synthetic', count: null }], maxLength: null }, checkpoint: [{ type: 'floe', keepBest: { metric: 'eval/loss', mode: null } }] })],
  ['null for whole nested settings', variant('causal', { backend: null, distributed: null, checkpoint: { type: 'floe', keepBest: null } })],
  ["null for keys the type lacks (a base's keys, after switching type)", variant('causal', { lerningRate: null, optimizer: { type: 'adamw', momentum: null }, backend: { name: 'cpu', cores: null } })],
];

/** Recipes Floe rejects, and why; the schema must reject them too. */
const BAD: Array<[string, Record<string, unknown>]> = [
  ['an unknown trainer type', variant('causal', { type: 'causl' })],
  ['an unknown top-level key', variant('causal', { epoch: 2 })],
  ['an unknown key in a section', variant('causal', { optimizer: { type: 'adamw', learningRate: 1e-3 } })],
  ['a section type the trainer does not allow', variant('causal', { model: { type: 'mlp' } })],
  ['a section of another trainer', variant('causal', { loss: { type: 'mse' } })],
  ['a setting of another type of the same kind', variant('causal', { optimizer: { type: 'adamw', momentum: 0.9 } })],
  ['a negative learning rate', variant('causal', { optimizer: { lr: -1 } })],
  ['a count that is no number', variant('causal', { data: { sources: [{ type: 'synthetic', count: 'lots' }] } })],
  ['a percentage where only counts are allowed', variant('causal', { epochs: '10%' })],
  ['a value outside its choices', variant('causal', { model: { type: 'gpt', norm: 'batchnorm' } })],
  ['a boolean given as a string', variant('causal', { report: 'yes' })],
  ['a missing required setting', variant('causal', { tokenizer: { type: 'hf' } })],
  ['a callback without a type', variant('causal', { callbacks: [{ patience: 2 }] })],
  ['a data source of an unknown type', variant('causal', { data: { sources: [{ type: 'parquet' }] } })],
  ['a data source of another kind', variant('supervised', { data: { sources: [{ type: 'synthetic' }] } })],
  ['no data sources', variant('sft', { data: { sources: [] } })],
  ['an unknown key inside a nested setting', variant('causal', { backend: { name: 'wasm', cores: 2 } })],
  ['a wrong type beside nulls', variant('causal', { seed: null, optimizer: { lr: null, weightDecay: 'none' }, backend: { name: 'cpu', threads: 'many' } })],
  ['a null section of another trainer', variant('causal', { loss: null })],
  ['a null section type', variant('causal', { optimizer: { type: null } })],
  ['a null list item', variant('causal', { checkpoint: [null] })],
  ['null for a required setting', variant('causal', { tokenizer: { type: 'hf', path: null } })],
  ['null data sources', variant('causal', { data: { sources: null } })],
  ['a null data source', variant('causal', { data: { sources: [null] } })],
  ['a null section whose default needs settings', variant('causal', { data: null })],
];

describe('floe schema (recipe JSON Schema)', () => {
  const schema = buildRecipeSchema();
  const validate = compile(schema);

  it('accepts every recipe in recipes/', () => {
    const files = fs.readdirSync(RECIPES).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.length >= 5, `expected the example recipes, found ${files.join(', ')}`);
    for (const file of files) {
      const recipe = parseYaml(fs.readFileSync(path.join(RECIPES, file), 'utf8'));
      assert.equal(errorsOf(validate, recipe), '', `${file} does not match the schema`);
    }
  });

  for (const [name, recipe] of GOOD) {
    it(`accepts ${name}, as Floe does`, async () => {
      assert.ok(await floeAccepts(recipe), `Floe itself rejects this recipe: ${JSON.stringify(recipe)}`);
      assert.equal(errorsOf(validate, recipe), '', JSON.stringify(recipe));
    });
  }

  for (const [name, recipe] of BAD) {
    it(`rejects ${name}, as Floe does`, async () => {
      assert.equal(await floeAccepts(recipe), false, `Floe accepts this recipe: ${JSON.stringify(recipe)}`);
      assert.equal(validate(recipe), false, `the schema accepts ${JSON.stringify(recipe)}`);
    });
  }

  it('checks only top-level keys of a recipe that extends another', () => {
    assert.equal(errorsOf(validate, { extends: 'base.yaml', optimizer: { lr: 1e-4 } }), '');
    assert.equal(validate({ extends: 'base.yaml', optimiser: { lr: 1e-4 } }), false);
    // `extends: ~` extends nothing: the recipe is checked in full.
    assert.equal(validate({ extends: null, optimizer: { lr: 'fast' } }), false);
  });

  it('checks a recipe with extends: [] in full, as the loader composes it from nothing', async () => {
    for (const bad of [{ optimizer: { lr: 'fast' } }, { type: 'sft', optimizer: { lr: 'fast' } }, { optimizer: { lrr: 1e-4 } }, { type: 'causal', data: { sources: [{ type: 'synthetic', count: 'many' }] } }]) {
      // Without extends and with extends: [], Floe rejects it, and so must the schema.
      assert.equal(await floeAccepts(bad), false, JSON.stringify(bad));
      assert.equal(await floeAccepts({ ...bad, extends: [] }), false, JSON.stringify(bad));
      assert.equal(validate(bad), false, JSON.stringify(bad));
      assert.equal(validate({ ...bad, extends: [] }), false, `the schema accepts ${JSON.stringify({ ...bad, extends: [] })}`);
    }
    // A complete recipe with extends: [] is accepted by both, and a non-empty list still extends.
    const good = variant('supervised', { extends: [] });
    assert.ok(await floeAccepts(good));
    assert.equal(errorsOf(validate, good), '');
    assert.equal(errorsOf(validate, { extends: ['base.yaml'], optimizer: { lr: 1e-4 } }), '');
  });

  it('describes fields, defaults and the allowed types of each section', () => {
    const defs = schema.definitions as Record<string, { properties: Record<string, Record<string, unknown>>; description?: string }>;
    const causal = defs['trainer.causal'].properties;
    assert.match(String(causal.seed.description), /Seed/);
    assert.equal(causal.seed.default, 42);
    assert.deepEqual(typeChoices(unlessNull(causal.optimizer)), ['adamw', 'adam', 'sgd']);
    assert.deepEqual(typeChoices(unlessNull(defs['trainer.supervised'].properties.model)), ['mlp', 'layers']);
    const gpt = defs['model.gpt'];
    assert.match(String(gpt.description), /transformer/);
    assert.deepEqual(unlessNull(gpt.properties.norm).enum, ['layernorm', 'rmsnorm']);
  });

  describe('with plugins', () => {
    isolateRegistries();

    it('includes trainers and factories registered after startup, with their own settings', () => {
      class ScaledConfig extends ModelConfig {
        /** Output scale. */
        @IsPositive()
        scale = 1;
      }
      @register()
      class ScaledModelFactory extends TinyModelFactory {
        static override readonly type: string = 'scaled-linear';
        static override readonly configType = ScaledConfig;
      }
      @register()
      class ScaledTrainer extends TinyTrainer {
        static override readonly type: string = 'scaled';
        static override readonly modelFactoryType = [ScaledModelFactory];
      }
      const withPlugin = compile(buildRecipeSchema());
      assert.equal(ScaledTrainer.type, 'scaled');
      assert.equal(errorsOf(withPlugin, { type: 'scaled', model: { scale: 2 } }), '');
      assert.equal(withPlugin({ type: 'scaled', model: { scale: -2 } }), false);
      assert.equal(withPlugin({ type: 'scaled', model: { type: 'gpt' } }), false);
    });

    it('takes null for a nested component list of a kind whose type may be left out, read as {}', async () => {
      class ChainConfig extends ModelConfig {
        /** Optimizers, one per stage. */
        @ComponentList('optimizer')
        stages?: OptimizerConfig[];
      }
      @register()
      class ChainModelFactory extends TinyModelFactory {
        static override readonly type: string = 'chain-linear';
        static override readonly configType = ChainConfig;
      }
      @register()
      class ChainTrainer extends TinyTrainer {
        static override readonly type: string = 'chain';
        static override readonly modelFactoryType = [ChainModelFactory];
      }
      const withPlugin = compile(buildRecipeSchema());
      for (const stages of [null, [null, { type: 'sgd' }]]) {
        const recipe = { type: ChainTrainer.type, model: { stages } };
        assert.ok(await floeAccepts(recipe), `Floe itself rejects ${JSON.stringify(recipe)}`);
        assert.equal(errorsOf(withPlugin, recipe), '', JSON.stringify(recipe));
      }
      assert.equal(withPlugin({ type: 'chain', model: { stages: [{ type: null }] } }), false);
    });

    it("gives a plugin's config class none of the docs of Floe's class of the same name", () => {
      // Field docs are keyed by class name: a user's SgdConfig got "Momentum factor in [0, 1)." for its own momentum.
      class SgdConfig extends OptimizerConfig {
        /** How the user describes it (TSDoc is gone at run time). */
        @IsIn(['low', 'high'])
        momentum = 'low';
      }
      @register()
      class NamedLikeSgd extends OptimizerFactory<SgdConfig> {
        static override readonly type: string = 'named-like-sgd';
        static override readonly configType = SgdConfig;
        createOptimizer(): never {
          throw new Error('not built');
        }
      }
      @register()
      class NamedLikeSgdTrainer extends TinyTrainer {
        static override readonly type: string = 'named-like-sgd-tiny';
        static override readonly optimizerFactoryType = [NamedLikeSgd];
      }
      assert.equal(NamedLikeSgdTrainer.type, 'named-like-sgd-tiny');
      const definitions = buildRecipeSchema().definitions as Record<string, { properties: Record<string, { description?: string }> }>;
      const own = definitions[componentDefinitionName(NamedLikeSgd)].properties;
      assert.equal(own.momentum.description, undefined);
      assert.match(String(own.lr.description), /learning rate/i, 'fields of Floe ancestors keep their docs');
      assert.equal(definitions['optimizer.sgd'].properties.momentum.description, 'Momentum factor in [0, 1).');
    });
  });

  it('floe schema --out writes the schema the registries give', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-schema-'));
    try {
      const out: string[] = [];
      const file = path.join(dir, 'recipe.schema.json');
      const code = await runCli(['schema', '--out', file], { out: (l) => out.push(l), err: (l) => out.push(l) });
      assert.equal(code, 0, out.join('\n'));
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), JSON.parse(JSON.stringify(buildRecipeSchema())));
      assert.match(out.join('\n'), /yaml-language-server: \$schema=/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
