import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { IsNumber } from 'class-validator';
import { getRegistry, register, SgdConfig, SgdOptimizerFactory, TrainerConfig, validateRecipe } from '../../src';
import { TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { escapeRegExp, expectConfigError, useRecipeDir } from './recipe-dir';

describe('validateRecipe', () => {
  isolateRegistries();
  const recipes = useRecipeDir();

  it('builds config instances, filling defaults and the first allowed type of each section', async () => {
    const file = recipes().write('tiny.yaml', ['type: tiny', 'backend: cpu', 'optimizer:', '  type: sgd', '  momentum: 0.9', ''].join('\n'));
    const { trainerClass, config, resolved, files } = await validateRecipe(file);
    assert.equal(trainerClass, TinyTrainer);
    assert.equal(config.type, 'tiny');
    assert.equal(config.backend.name, 'cpu');
    assert.equal(config.epochs, 1);
    assert.equal(config.optimizer.type, 'sgd');
    assert.equal((config.optimizer as unknown as { momentum: number }).momentum, 0.9);
    assert.equal(config.data.type, 'tiny-regression');
    assert.equal(config.model.type, 'tiny-linear');
    assert.equal(config.tokenizer.type, 'byte');
    assert.equal(config.scheduler.type, 'constant');
    assert.deepEqual(
      config.checkpoint.map((c) => c.type),
      ['floe'],
    );
    assert.equal(config.outputDir, path.join('runs', 'tiny'));
    assert.deepEqual(files, [file]);
    assert.equal((resolved.optimizer as Record<string, unknown>).momentum, 0.9);
  });

  it('rejects unknown keys with did-you-mean, the allowed keys and the key location', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'epoch: 3', 'optimizer:', '  type: adam', '  lrr: 0.1', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.equal(error.issues.length, 2);
    assert.match(
      error.message,
      new RegExp(`^  - epoch: unknown key 'epoch' \\(${escapeRegExp(r.at('recipe.yaml', 2, 1))}\\)\\. Did you mean 'epochs'\\? Allowed: seed, epochs, .*\\.$`, 'm'),
    );
    assert.match(
      error.message,
      new RegExp(`^  - optimizer\\.lrr: unknown key 'lrr' \\(${escapeRegExp(r.at('recipe.yaml', 5, 3))}\\)\\. Did you mean 'lr'\\? Allowed: .*\\blr\\b.*\\.$`, 'm'),
    );
  });

  it('a scalar where a list belongs says it must be a list, without the list-length rules it cannot meet', async () => {
    const file = recipes().write('recipe.yaml', ['type: tiny', 'optimizer:', '  type: adam', '  betas: 0.9', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0].message, 'must be an array, got 0.9');
    const short = await expectConfigError(validateRecipe(file, { overrides: ['optimizer.betas=[0.9]'] }));
    assert.equal(short.issues[0].message, 'must contain at least 2 elements, got [0.9]');
  });

  it("a comma-separated value where a list belongs says it must be a list, without the item rules, and how to write it ('--set model.hidden=32,32')", async () => {
    const recipe = { type: 'supervised', data: { type: 'tabular', sources: [{ type: 'synthetic-tabular' }] }, model: { type: 'mlp' } };
    const error = await expectConfigError(validateRecipe(recipe, { overrides: ['model.hidden=32,32'] }));
    assert.deepEqual(
      error.issues.map((i) => [i.path, i.message, i.hint]),
      [['model.hidden', 'must be an array, got "32,32"', 'Write a list in brackets: [32, 32].']],
    );
    const one = await expectConfigError(validateRecipe(recipe, { overrides: ['model.hidden=32'] }));
    assert.deepEqual([one.issues[0].message, one.issues[0].hint], ['must be an array, got 32', undefined]);
  });

  it("a number for outputDir is a recipe error at its line (was: internal error 'The \"paths[0]\" argument must be of type string')", async () => {
    const file = recipes().write('recipe.yaml', ['type: tiny', 'outputDir: 123', 'checkpoint: [{ type: floe }]', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.match(error.message, /^Invalid recipe: outputDir: must be a path \(a non-empty string\), got 123 \(.*recipe\.yaml:2:12\)$/);
  });

  it('a misspelt choice (progress: lnes) gets the closest allowed value', async () => {
    const file = recipes().write('recipe.yaml', ['type: tiny', 'progress: lnes', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.match(error.message, /progress: must be one of the following values: auto, bar, lines, none, got "lnes" \(.*recipe\.yaml:2:11\)\. Did you mean 'lines'\?$/);
  });

  it("names Floe's key for another framework's name (learning_rate, batch_size), and the section of a top-level lr", async () => {
    // Typo matching finds micro_batch_size → microBatchSize, but nothing for names unlike Floe's.
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'batch_size: 8', 'max_steps: 5', 'lr: 0.1', 'optimizer: { learning_rate: 0.1 }', 'micro_batch_size: 4', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.deepEqual(
      error.issues.map((i) => `${i.path}: ${i.hint?.replace(/ Allowed: .*/, '')}`),
      [
        "batch_size: Floe calls it 'microBatchSize'.",
        "max_steps: Floe calls it 'trainIters'.",
        'lr: It belongs in a section: optimizer.lr.',
        "optimizer.learning_rate: Floe calls it 'lr'.",
        "micro_batch_size: Did you mean 'microBatchSize'?",
      ],
    );
  });

  it("names Floe's key for HF's rope_scaling keys pasted into model.ropeScaling (rope_type, original_max_position_embeddings)", async () => {
    const ropeScaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 };
    const recipe = { type: 'causal', data: { type: 'causal', sources: [{ type: 'synthetic', task: 'addition' }] }, model: { type: 'gpt', layers: 1, heads: 1, dim: 8, position: 'rope', ropeScaling } };
    const error = await expectConfigError(validateRecipe(recipe));
    assert.deepEqual(
      error.issues.filter((i) => i.message.startsWith('unknown key')).map((i) => `${i.path}: ${i.hint?.replace(/ Allowed: .*/, '')}`),
      [
        "model.ropeScaling.rope_type: Floe calls it 'type'.",
        "model.ropeScaling.low_freq_factor: Did you mean 'lowFreqFactor'?",
        "model.ropeScaling.high_freq_factor: Did you mean 'highFreqFactor'?",
        "model.ropeScaling.original_max_position_embeddings: Floe calls it 'originalMaxLength'.",
      ],
    );
  });

  it("names the jsonl field Floe reads for TRL's completion and a Q&A set's question / answer", async () => {
    const fields = { question: 'q', completion: 'c' };
    const recipe = { type: 'sft', data: { type: 'sft', sources: [{ type: 'jsonl', paths: __filename, fields }] }, model: { type: 'gpt', layers: 1, heads: 1, dim: 8 } };
    const error = await expectConfigError(validateRecipe(recipe));
    assert.deepEqual(
      error.issues.map((i) => `${i.path}: ${i.hint?.replace(/ Allowed: .*/, '')}`),
      ["data.sources[0].fields.question: Floe calls it 'prompt'.", "data.sources[0].fields.completion: Floe calls it 'response'."],
    );
  });

  it('reports a section type the trainer does not support as `<path> <type> is not supported by trainer` with file:line:col', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'optimizer:', '  type: x', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.equal(error.message, `Invalid recipe: optimizer.type 'x' is not supported by trainer 'tiny' (${r.at('recipe.yaml', 3, 9)}). Supported: adamw, adam, sgd.`);
    assert.deepEqual(error.issues[0].location, { file: path.relative(process.cwd(), file), line: 3, col: 9 });
  });

  it('says a registered type the trainer does not list is registered, with the trainers that list it', async () => {
    // A new factory its author forgot to list: "Supported: adamw, adam, sgd" alone made it look unregistered.
    class LionFactory extends SgdOptimizerFactory {
      static override readonly type = 'lion';
    }
    class LionTrainer extends TinyTrainer {
      static override readonly type = 'lion-tiny';
      static override readonly optimizerFactoryType = [LionFactory];
    }
    register(LionFactory);
    register(LionTrainer);
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'optimizer: { type: lion }', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.equal(
      error.message,
      `Invalid recipe: optimizer.type 'lion' is not supported by trainer 'tiny' (${r.at('recipe.yaml', 2, 20)}). Supported: adamw, adam, sgd. ` +
        "'lion' is a registered optimizer factory (LionFactory) that trainer 'tiny' does not list in optimizerFactoryType: choose a trainer that does ('lion-tiny'), or list it in a trainer subclass's optimizerFactoryType.",
    );
  });

  it("takes a trainer setting named like another kind's section as the setting", async () => {
    class LossWeightConfig extends TrainerConfig {
      /** A setting that shares its name with the supervised trainer's section. */
      @IsNumber()
      loss = 1;
    }
    class LossWeightTrainer extends TinyTrainer {
      static override readonly type = 'loss-weight-tiny';
      static override readonly configType = LossWeightConfig;
    }
    register(LossWeightTrainer);
    const { config } = await validateRecipe({ type: 'loss-weight-tiny', loss: 0.5 });
    assert.equal((config as LossWeightConfig).loss, 0.5);
  });

  it('leaves the trainer out of an unknown callback type: any registered callback is allowed', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'callbacks: [{ type: early-stoping }]', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.match(error.message, /^Invalid recipe: callbacks\[0\]\.type 'early-stoping' is not supported \(.*\)\. Supported: .*\bearly-stopping\b.*\. Did you mean 'early-stopping'\?$/);
  });

  it("names a section of another trainer's kind as such, with the trainers that have it", async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'loss: { type: mse }', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.equal(
      error.message,
      `Invalid recipe: loss: trainer 'tiny' has no 'loss' section (loss factories: lossFactoryType) (${r.at('recipe.yaml', 2, 1)}). Trainers with a 'loss' section: 'supervised'.`,
    );
  });

  it('refuses an empty item in a list section instead of building the default component', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'checkpoint: [null]', 'callbacks:', '  -', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    const [checkpoint, callbacks] = error.issues;
    assert.deepEqual([checkpoint.path, callbacks.path], ['checkpoint[0]', 'callbacks[0]']);
    assert.equal(checkpoint.message, "is empty: give a mapping with a 'type' (one of: floe, safetensors, tfjs, hf), or remove the item");
    assert.match(callbacks.message, /^is empty: give a mapping with a 'type' \(one of: progress, .*\), or remove the item$/);
    assert.equal(`${checkpoint.location?.line}:${checkpoint.location?.col}`, '2:14');
  });

  it('suggests the closest supported type', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'scheduler: { type: cosin }', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.equal(
      error.message,
      `Invalid recipe: scheduler.type 'cosin' is not supported by trainer 'tiny' (${r.at('recipe.yaml', 2, 20)}). Supported: constant, linear, cosine, wsd, inverse-sqrt. Did you mean 'cosine'?`,
    );
  });

  it("allows only the trainer's declared factories, even when other types are registered", async () => {
    class SgdOnlyTrainer extends TinyTrainer {
      static override readonly type = 'sgd-only';
      static override readonly optimizerFactoryType = SgdOptimizerFactory;
    }
    register(SgdOnlyTrainer);
    const defaulted = await validateRecipe({ type: 'sgd-only' });
    assert.equal(defaulted.config.optimizer.type, 'sgd', 'a single class is the default of a one-item list');
    const error = await expectConfigError(validateRecipe({ type: 'sgd-only', optimizer: { type: 'adam' } }));
    assert.equal(
      error.message,
      "Invalid recipe: optimizer.type 'adam' is not supported by trainer 'sgd-only'. Supported: sgd. 'adam' is a registered optimizer factory (AdamOptimizerFactory) " +
        "that trainer 'sgd-only' does not list in optimizerFactoryType: choose a trainer that does ('causal', 'sft', 'dpo', 'supervised', 'tiny'), or list it in a trainer subclass's optimizerFactoryType.",
    );
  });

  it('validates a type re-registered with { override: true } against the replacement the run builds', async () => {
    // The trainer lists the built-in class: validation used its config while the run built the replacement.
    class LoudConfig extends SgdConfig {
      /** How loud. */
      @IsNumber()
      loudness = 1;
    }
    class LoudSgd extends SgdOptimizerFactory {
      static override readonly type = 'sgd';
      static override readonly configType = LoudConfig;
    }
    const original = console.warn;
    console.warn = () => undefined;
    try {
      register(LoudSgd, { override: true });
    } finally {
      console.warn = original;
    }
    const { config } = await validateRecipe({ type: 'tiny', optimizer: { type: 'sgd', loudness: 3 } });
    assert.ok(config.optimizer instanceof LoudConfig, `got ${config.optimizer.constructor.name}`);
    assert.equal((config.optimizer as LoudConfig).loudness, 3);
    assert.equal(getRegistry('optimizer').get('sgd'), LoudSgd, 'and the run builds the same class');
  });

  it('rejects an unknown trainer type with the registered trainers', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', 'type: tinny\n');
    const error = await expectConfigError(validateRecipe(file));
    assert.match(error.message, new RegExp(`^Invalid recipe: type: unknown trainer type 'tinny' \\(${escapeRegExp(r.at('recipe.yaml', 1, 7))}\\)\\. Registered trainers: .*\\btiny\\b.*\\. Did you mean 'tiny'\\?$`));
  });

  it('names the property path and file:line:col of every validation error, all at once', async () => {
    const r = recipes();
    const file = r.write(
      'recipe.yaml',
      ['type: tiny', 'seed: -1', 'backend: gpu9', 'data:', '  examples: 0', 'optimizer:', '  type: adam', '  lr: -1', '  betas: [0.9, 2]', 'scheduler:', '  type: nope', ''].join('\n'),
    );
    const error = await expectConfigError(validateRecipe(file));
    const summary = error.issues.map((i) => `${i.path} @${i.location?.line}:${i.location?.col}`);
    assert.deepEqual(summary.sort(), [
      'backend.name @3:10',
      'data.examples @5:13',
      'optimizer.betas @9:10',
      'optimizer.lr @8:7',
      'scheduler.type @11:9',
      'seed @2:7',
    ]);
    assert.match(error.message, /^Invalid recipe \(6 problems\):\n/);
    for (const issue of error.issues) {
      assert.equal(issue.location?.file, path.relative(process.cwd(), file));
      assert.ok(error.message.includes(issue.path), `message names ${issue.path}`);
    }
  });

  it('says which trainer it assumed when a recipe without a type is invalid', async () => {
    const error = await expectConfigError(validateRecipe({ seed: 1, epochs: 0 }));
    assert.match(error.message, /^Invalid recipe \(no top-level 'type', so trainer 'causal' was assumed; registered: .*\bcausal\b.*\)/);
  });

  it('gives a value that is not a number its type problem alone, not its range too', async () => {
    const error = await expectConfigError(validateRecipe({ type: 'tiny', seed: 'abc' }));
    assert.equal(error.message, 'Invalid recipe: seed: must be an integer number, got "abc"');
    const both = await expectConfigError(validateRecipe({ type: 'tiny', seed: -1.5 }));
    assert.equal(both.message, 'Invalid recipe: seed: must be an integer number and must not be less than 0, got -1.5', 'one message names both rules a value breaks');
  });

  it('rejects a section that is not a mapping', async () => {
    const error = await expectConfigError(validateRecipe({ type: 'tiny', optimizer: 'adam' }));
    assert.equal(error.message, `Invalid recipe: optimizer: must be a mapping with a 'type' (one of: adamw, adam, sgd), got "adam". Write { type: adam }.`);
    const other = await expectConfigError(validateRecipe({ type: 'tiny', optimizer: 'lion', checkpoint: ['floe'] }));
    assert.deepEqual(
      other.issues.map((i) => `${i.path}: ${i.hint}`).sort(),
      ['checkpoint[0]: Write { type: floe }.', 'optimizer: undefined'],
    );
  });

  it('does no I/O: the output folder is not created', async () => {
    const r = recipes();
    const outputDir = path.join(r.dir, 'run');
    const file = r.write('recipe.yaml', `type: tiny\noutputDir: ${JSON.stringify(outputDir)}\n`);
    await validateRecipe(file);
    assert.equal(fs.existsSync(outputDir), false);
  });

  it('treats an explicit null type as an error, not as the default', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'optimizer:', '  type: null', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.match(error.message, /optimizer\.type 'null' is not supported by trainer 'tiny'/);
  });

  it('lists every problem in file order: the recipe run, then its base (pointing into the base), then --set', async () => {
    // Validation meets them section by section; a reader goes down the file.
    const r = recipes();
    r.write('base.yaml', ['type: tiny', 'optimizer:', '  type: adam', '  lrr: 1', 'epochs: 0', ''].join('\n'));
    const file = r.write('child.yaml', ['extends: base.yaml', 'scheduler: { type: cosin }', 'quiet: yes', 'seed: x', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file, { overrides: ['optimizer.lr=-1', 'logInterval=0'] }));
    assert.deepEqual(
      error.issues.map((i) => i.path),
      ['scheduler.type', 'quiet', 'seed', 'optimizer.lrr', 'epochs', 'optimizer.lr', 'logInterval'],
    );
    assert.match(error.message, new RegExp(`optimizer\\.lrr: unknown key 'lrr' \\(${escapeRegExp(r.at('base.yaml', 4, 3))}\\)`));
  });

  it("says to write true or false for a switch given as yes/on/off (YAML 1.1's booleans, text in YAML 1.2) or a quoted \"true\"", async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'quiet: yes', 'tensorboard: off', 'evalAtEnd: "true"', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file, { overrides: ['overwriteOutputDir=maybe'] }));
    assert.deepEqual(
      error.issues.map((i) => `${i.path}: ${i.hint}`),
      [
        "quiet: Write true: recipes are YAML 1.2, where 'yes' is text, not a boolean.",
        "tensorboard: Write false: recipes are YAML 1.2, where 'off' is text, not a boolean.",
        'evalAtEnd: Write true without quotes: quoted, it is text.',
        'overwriteOutputDir: Write true or false.',
      ],
    );
  });

  it('takes null on a known setting as left out: its default applies, at the top, in a section and in a nested setting', async () => {
    // `trainIters: ~` became 0 steps ('totalSteps must be > 0' at startup), `eps: ~` was 'not a positive number'.
    const r = recipes();
    const base = r.write('base.yaml', ['type: tiny', 'trainIters: 5', 'seed: 3', 'backend: { name: cpu, threads: 1 }', 'optimizer: { type: adam, eps: 1e-6 }', ''].join('\n'));
    const file = r.write('child.yaml', [`extends: ${path.basename(base)}`, 'trainIters: ~', 'seed: null', 'backend: { threads: ~ }', 'optimizer: { eps: null }', 'data: { examples: ~ }', ''].join('\n'));
    const { config, resolved } = await validateRecipe(file);
    const defaults = new TrainerConfig();
    assert.equal(config.trainIters, undefined);
    assert.equal(config.seed, defaults.seed);
    assert.equal(config.backend.name, 'cpu');
    assert.equal(config.backend.threads, undefined);
    assert.equal((config.optimizer as unknown as { eps: number }).eps, 1e-8);
    assert.equal((config.data as unknown as { examples: number }).examples, 64);
    assert.equal('trainIters' in resolved, false);
  });

  it("rejects an empty list of data sources as empty, at the list (was: 'missing', at data:)", async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: causal', 'data:', '  type: causal', '  sources: []', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file));
    assert.match(error.message, /data\.sources: 'sources' is empty; list at least one data source \(synthetic, text, jsonl\) \(\S*recipe\.yaml:4:12\)/);
    // Left out, it is missing, located at its section.
    const missing = r.write('missing.yaml', ['type: causal', 'data:', '  type: causal', ''].join('\n'));
    assert.match((await expectConfigError(validateRecipe(missing))).message, /data\.sources: missing 'sources' \(a list of data sources: synthetic, text, jsonl\) \(\S*missing\.yaml:3:3\)/);
  });
});

