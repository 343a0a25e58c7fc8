import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, getRegistry, Logger, Metrics, runJob, Trainer, validateRecipe } from '../../src';
import '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { FLOE_ENTRY, TINY_FIXTURE, writeTrainerPlugin } from './plugin-files';
import { expectConfigError, useRecipeDir } from './recipe-dir';

const REPO = path.resolve(__dirname, '../../..');

class LossRecorder extends Callback {
  constructor(
    trainer: Trainer,
    private readonly losses: number[],
  ) {
    super(trainer, new CallbackConfig());
  }
  override async onLog(metrics: Metrics): Promise<void> {
    this.losses.push(metrics.loss);
  }
}

describe('recipe plugins', () => {
  isolateRegistries();
  const recipes = useRecipeDir('floe-plugins-');

  it('imports `code:` relative to the recipe before validation, so its trainer can be chosen', async () => {
    const r = recipes();
    writeTrainerPlugin(r, 'my_trainer.js', 'plugin-tiny');
    const file = r.write('recipes/recipe.yaml', 'code: ../my_trainer.js\ntype: plugin-tiny\n');
    const { trainerClass, config, resolved } = await validateRecipe(file);
    assert.equal(trainerClass.name, 'PluginTrainer');
    assert.equal(config.type, 'plugin-tiny');
    assert.equal(config.data.type, 'tiny-regression', 'factory lists are inherited from the tiny trainer');
    assert.equal(resolved.code, path.join(r.dir, 'my_trainer.js'));
  });

  it('imports a `plugins:` list in order, so a later plugin can use what an earlier one registered', async () => {
    const r = recipes();
    r.write(
      'sgd_plugin.js',
      [
        `const floe = require(${JSON.stringify(FLOE_ENTRY)});`,
        'class PluginSgd extends floe.SgdOptimizerFactory {}',
        "PluginSgd.type = 'plugin-sgd';",
        'floe.register(PluginSgd);',
        '',
      ].join('\n'),
    );
    r.write(
      'trainer_plugin.js',
      [
        `const floe = require(${JSON.stringify(FLOE_ENTRY)});`,
        `const { TinyTrainer } = require(${JSON.stringify(TINY_FIXTURE)});`,
        'class SgdPluginTrainer extends TinyTrainer {}',
        "SgdPluginTrainer.type = 'sgd-plugin-tiny';",
        "SgdPluginTrainer.optimizerFactoryType = [floe.getRegistry('optimizer').get('plugin-sgd')];",
        'floe.register(SgdPluginTrainer);',
        '',
      ].join('\n'),
    );
    const file = r.write('recipe.yaml', ['plugins: [./sgd_plugin.js, ./trainer_plugin.js]', 'type: sgd-plugin-tiny', 'optimizer: { momentum: 0.9 }', ''].join('\n'));
    const { config } = await validateRecipe(file);
    assert.equal(config.optimizer.type, 'plugin-sgd');
    assert.equal((config.optimizer as unknown as { momentum: number }).momentum, 0.9);
  });

  it('resolves a plugin declared in an extended base relative to the base file', async () => {
    const r = recipes();
    writeTrainerPlugin(r, 'shared/plugin.js', 'base-plugin-tiny');
    r.write('shared/base.yaml', 'code: ./plugin.js\ntype: base-plugin-tiny\n');
    const file = r.write('child.yaml', 'extends: shared/base.yaml\nepochs: 2\n');
    const { trainerClass, config } = await validateRecipe(file);
    assert.equal(trainerClass.type, 'base-plugin-tiny');
    assert.equal(config.epochs, 2);
  });

  it("keeps a base's plugins when the recipe extending it names its own", async () => {
    // The child's code: replaced the base's, so the base's trainer type was unknown.
    const r = recipes();
    writeTrainerPlugin(r, 'shared/plugin.js', 'kept-plugin-tiny');
    r.write(
      'callback_plugin.js',
      [`const floe = require(${JSON.stringify(FLOE_ENTRY)});`, 'class Quiet extends floe.Callback {}', "Quiet.type = 'quiet-plugin';", 'floe.register(Quiet);', ''].join('\n'),
    );
    r.write('shared/base.yaml', 'code: ./plugin.js\ntype: kept-plugin-tiny\n');
    const file = r.write('child.yaml', 'extends: shared/base.yaml\ncode: [./callback_plugin.js, ./shared/plugin.js]\ncallbacks: [{ type: quiet-plugin }]\n');
    const { trainerClass, config, resolved } = await validateRecipe(file);
    assert.equal(trainerClass.type, 'kept-plugin-tiny');
    assert.deepEqual(
      config.callbacks.map((c) => c.type),
      ['quiet-plugin'],
    );
    assert.deepEqual(resolved.code, [path.join(r.dir, 'shared', 'plugin.js'), path.join(r.dir, 'callback_plugin.js')], 'base first, each module once');
  });

  it('takes code: null as no modules of its own: alone, or over a base whose modules stay', async () => {
    // It was 'code[1]: must be a module path …, got null'.
    const r = recipes();
    writeTrainerPlugin(r, 'plugin.js', 'null-plugin-tiny');
    r.write('base.yaml', 'code: ./plugin.js\ntype: null-plugin-tiny\n');
    const child = await validateRecipe(r.write('child.yaml', 'extends: base.yaml\ncode: ~\nplugins: null\n'));
    assert.equal(child.trainerClass.type, 'null-plugin-tiny');
    assert.equal(child.resolved.code, path.join(r.dir, 'plugin.js'));
    const alone = await validateRecipe(r.write('alone.yaml', 'type: tiny\ncode: ~\n'));
    assert.equal('code' in alone.resolved, false);
  });

  it("reports a missing plugin file with its path and location, saying 'cannot load' once (was: 'Cannot load recipe plugins: code: cannot load plugin ...')", async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', 'type: tiny\ncode: ./nope.js\n');
    const error = await expectConfigError(validateRecipe(file));
    assert.equal(
      error.message,
      `Cannot load recipe plugins: code: ${path.relative(process.cwd(), path.join(r.dir, 'nope.js'))}: file not found (resolved to ${path.join(r.dir, 'nope.js')}) (${r.at('recipe.yaml', 2, 7)})`,
    );
  });

  it('reports every failing plugin at once, with the error each raised', async () => {
    const r = recipes();
    r.write('throws.js', "throw new Error('plugin exploded');\n");
    r.write(
      'bad_registration.js',
      [`const floe = require(${JSON.stringify(FLOE_ENTRY)});`, 'class NoType extends floe.SgdOptimizerFactory {}', 'floe.register(NoType);', ''].join('\n'),
    );
    const file = r.write('recipe.yaml', 'type: tiny\nplugins:\n  - ./throws.js\n  - ./bad_registration.js\n  - 42\n');
    const error = await expectConfigError(validateRecipe(file));
    assert.deepEqual(
      error.issues.map((i) => i.path),
      ['plugins[0]', 'plugins[1]', 'plugins[2]'],
    );
    assert.match(error.issues[0].message, /^\S*throws\.js: plugin exploded \(at .*throws\.js:1:7\)$/);
    assert.match(error.issues[1].message, /^\S*bad_registration\.js: Cannot register optimizer factory class NoType \(at \S*bad_registration\.js:3\):\n  - missing its own static 'type' literal/);
    assert.equal(error.issues[2].message, 'must be a module path (./my_trainer.js) or package name, got 42');
    assert.equal(`${error.issues[2].location?.line}:${error.issues[2].location?.col}`, '5:5');
  });

  it('names the line of a syntax error in the plugin, and takes a path without ./ when the file is there', async () => {
    const r = recipes();
    r.write('plugins/broken.js', 'const a = 1;\nthis is not JavaScript\n');
    const file = r.write('recipe.yaml', 'type: tiny\ncode: plugins/broken.js\n');
    const error = await expectConfigError(validateRecipe(file));
    assert.match(error.issues[0].message, /^\S*plugins\/broken\.js: Unexpected identifier 'is' \(at .*plugins\/broken\.js:2:6\)$/);
    // Without a file there, a bare name is a package: the message says how to name a file.
    const pkg = r.write('pkg.yaml', 'type: tiny\ncode: no-such-floe-plugin\n');
    assert.match((await expectConfigError(validateRecipe(pkg))).issues[0].message, /module not found: no-such-floe-plugin \(a file path starts with \.\/\)/);
  });

  it("says what to install when a plugin requires a module Node cannot find from its folder (floe itself most often), without Node's require stack", async () => {
    const r = recipes();
    r.write('needs-floe.js', "const { register } = require('floe');\n");
    r.write('needs-pkg.js', "require('no-such-floe-dep/sub');\n");
    r.write('needs-file.js', "require('./lib/helper');\n");
    const file = r.write('recipe.yaml', 'type: tiny\nplugins: [./needs-floe.js, ./needs-pkg.js, ./needs-file.js]\n');
    const error = await expectConfigError(validateRecipe(file));
    const shown = (name: string): string => path.relative(process.cwd(), path.join(r.dir, name));
    assert.deepEqual(
      // Named once: the reason starts with the plugin's path.
      error.issues.map((i) => i.message),
      [
        `${shown('needs-floe.js')} requires 'floe', which Node cannot find from ${r.dir}. Install Floe in the plugin's project (npm install floe) and run that project's floe (npx floe), or link the floe running now into it (npm link ${REPO}) (at ${shown('needs-floe.js')}:1:22)`,
        `${shown('needs-pkg.js')} requires 'no-such-floe-dep/sub', which Node cannot find from ${r.dir}: install it in the plugin's project (npm install no-such-floe-dep) (at ${shown('needs-pkg.js')}:1:1)`,
        `${shown('needs-file.js')} requires './lib/helper', which is not there (${path.join(r.dir, 'lib', 'helper')}[.js]) (at ${shown('needs-file.js')}:1:1)`,
      ],
    );
  });

  it('says so when a plugin brings its own copy of Floe, whose registrations this one never sees', function () {
    this.timeout(30_000);
    // A plugin project with Floe installed as a real copy, run with another floe: it said only "unknown trainer type".
    const r = recipes();
    const copy = path.join(r.dir, 'plugin-project', 'node_modules', 'floe');
    const distSrc = path.dirname(FLOE_ENTRY);
    fs.cpSync(distSrc, path.join(copy, 'dist', 'src'), { recursive: true, filter: (f) => fs.statSync(f).isDirectory() || /\.(js|json)$/.test(f) });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    r.write(
      'plugin-project/trainer.js',
      [
        "const floe = require('./node_modules/floe/dist/src');",
        'class CopyTrainer extends floe.CausalTrainer {}',
        "CopyTrainer.type = 'copy-trainer';",
        'floe.register(CopyTrainer);',
        '',
      ].join('\n'),
    );
    const file = r.write('recipe.yaml', 'code: ./plugin-project/trainer.js\ntype: copy-trainer\n');
    const run = spawnSync(process.execPath, [path.join(REPO, 'bin', 'floe.js'), 'validate', file], { cwd: r.dir, encoding: 'utf8', timeout: 25_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stderr.trim(),
      `error: Cannot load recipe plugins: code: plugin ${path.join(r.dir, 'plugin-project', 'trainer.js')} loaded a second copy of Floe (${path.join(copy, 'dist', 'src')}) ` +
        `beside the one reading this recipe (${distSrc}), so what it registers goes to that copy and this one never sees it. ` +
        "Run the floe of the plugin's own project (npx floe), or make its 'floe' dependency resolve to this one (a peerDependency, npm link, or a file: dependency) (recipe.yaml:1:7)",
    );
  });

  it('trains a plugin trainer end to end through runJob, the loss falling', async () => {
    const r = recipes();
    writeTrainerPlugin(r, 'my_trainer.js', 'plugin-tiny');
    const outputDir = path.join(r.dir, 'run');
    const file = r.write(
      'recipe.yaml',
      [
        'code: ./my_trainer.js',
        'type: plugin-tiny',
        'backend: cpu',
        'epochs: 10',
        'microBatchSize: 8',
        'logInterval: 8',
        `outputDir: ${JSON.stringify(outputDir)}`,
        'optimizer: { type: adam, lr: 0.05 }',
        'checkpoint: []',
        '',
      ].join('\n'),
    );
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    const result = await runJob(file, {
      logger: new Logger({ sink: () => undefined }),
      onTrainerReady: (trainer) => {
        assert.equal(trainer.constructor.name, 'PluginTrainer');
        trainer.callbackList.callbacks.push(new LossRecorder(trainer, losses));
      },
    });
    assert.equal(result.status, 'finished');
    assert.equal(result.globalStep, 80);
    assert.equal(result.outputDir, outputDir);
    assert.equal(losses.length, 10);
    assert.ok(losses[9] < losses[0] / 10, `loss fell from ${losses[0]} to ${losses[9]}`);
    assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
    assert.ok(getRegistry('trainer').has('plugin-tiny'));
  });
});
