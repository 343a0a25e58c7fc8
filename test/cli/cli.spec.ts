import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { register } from '../../src';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { cli } from '../support/cli-run';
import { writeTrainerPlugin } from '../config/plugin-files';
import { useRecipeDir } from '../config/recipe-dir';

const REPO = path.resolve(__dirname, '../../..');
const RECIPES = path.join(REPO, 'recipes');


/** Losses of the trainer's `step N/M | epoch E | loss L | ...` log lines, in order. */
function loggedLosses(lines: string[]): number[] {
  return lines.flatMap((text) => text.split('\n')).flatMap((line) => {
    const match = /^step \d+\/\d+ \| .*\bloss (\d+(?:\.\d+)?)\b/.exec(line);
    return match === null ? [] : [Number(match[1])];
  });
}

function hasStackTrace(lines: string[]): boolean {
  return lines.some((line) => /^\s+at .+\(.*:\d+:\d+\)$/m.test(line));
}

const TINY_RECIPE = ['type: tiny', 'backend: cpu', 'optimizer:', '  type: adam', '  lr: 0.05', ''].join('\n');

describe('floe CLI (in process)', () => {
  isolateRegistries();
  const recipes = useRecipeDir('floe-cli-');

  describe('validate', () => {
    it('exits 0 and names the chosen parts of a valid recipe', async () => {
      const file = recipes().write('tiny.yaml', TINY_RECIPE);
      const run = await cli('validate', file);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.deepEqual(run.out, [
        `OK: ${path.relative(process.cwd(), file)} is valid — trainer 'tiny' (tokenizer: byte, data: tiny-regression, model: tiny-linear, optimizer: adam, scheduler: constant, checkpoint: floe)`,
      ]);
      assert.deepEqual(run.err, []);
    });

    it("names the sections a trainer adds (supervised's loss) and says none for an empty checkpoint list", async () => {
      const file = recipes().write('spirals.yaml', `extends: ${JSON.stringify(path.join(RECIPES, 'spirals-classifier.yaml'))}\ncheckpoint: []\n`);
      const run = await cli('validate', file);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.match(run.out[0], /\(tokenizer: byte, data: tabular, model: mlp, optimizer: adam, scheduler: cosine, checkpoint: none, loss: cross-entropy\)$/);
    });

    it('exits 1 with every problem and its location, and no stack trace', async () => {
      const r = recipes();
      const file = r.write('bad.yaml', ['type: tiny', 'epoch: 2', 'optimizer:', '  type: x', ''].join('\n'));
      const run = await cli('validate', file);
      assert.equal(run.code, 1);
      assert.deepEqual(run.out, []);
      const message = run.err.join('\n');
      assert.match(message, /^error: Invalid recipe \(2 problems\):\n/);
      assert.ok(message.includes(`  - epoch: unknown key 'epoch' (${r.at('bad.yaml', 2, 1)}). Did you mean 'epochs'?`), message);
      assert.ok(message.includes(`  - optimizer.type 'x' is not supported by trainer 'tiny' (${r.at('bad.yaml', 4, 9)}). Supported: adamw, adam, sgd.`), message);
      assert.equal(hasStackTrace(run.err), false);
    });

    it('adds the stack trace with --verbose', async () => {
      const file = recipes().write('bad.yaml', 'type: tiny\nepoch: 2\n');
      const run = await cli('validate', file, '--verbose');
      assert.equal(run.code, 1);
      assert.ok(hasStackTrace(run.err), run.err.join('\n'));
    });

    it('validates --set overrides like the file and names the --set in errors', async () => {
      const file = recipes().write('tiny.yaml', TINY_RECIPE);
      const ok = await cli('validate', '--set', 'optimizer.lr=1e-3', '--set', 'epochs=2', file);
      assert.equal(ok.code, 0, ok.err.join('\n'));
      const bad = await cli('validate', file, '--set', 'epochs=abc', '--set', 'optimizer.lr=1e-3');
      assert.equal(bad.code, 1);
      assert.deepEqual(bad.err, ['error: Invalid recipe: epochs: must be a whole number >= 1 (like 100, 1k, 2.5M, 2^10), got "abc" (--set epochs=abc)']);
    });

    it('checks several recipes (floe validate recipes/*.yaml), going on past an invalid one, exit 1 if any is', async () => {
      const r = recipes();
      const good = r.write('good.yaml', TINY_RECIPE);
      const bad = r.write('bad.yaml', 'type: tiny\nepochs: 0\n');
      const all = await cli('validate', bad, good, path.join(r.dir, 'missing.yaml'));
      assert.equal(all.code, 1);
      assert.equal(all.out.length, 1);
      assert.match(all.out[0], /^OK: .*good\.yaml is valid/);
      assert.match(all.err[0], /^error: .*bad\.yaml: Invalid recipe: epochs: /);
      assert.match(all.err[1], /^error: .*missing\.yaml: Invalid recipe: cannot read recipe .*: file not found \(resolved to \/.*missing\.yaml\)$/);
      assert.equal(all.err[2], '2 of 3 recipes are invalid');
      const fine = await cli('validate', good, good);
      assert.equal(fine.code, 0, fine.err.join('\n'));
      assert.equal(fine.out.length, 2);
    });

    it('exits 1 for a missing recipe file', async () => {
      const run = await cli('validate', path.join(recipes().dir, 'missing.yaml'));
      assert.equal(run.code, 1);
      assert.match(run.err[0], /^error: Invalid recipe: cannot read recipe .*missing\.yaml: file not found \(resolved to \/.*missing\.yaml\)$/);
    });

    it('does no I/O: the output folder is not created', async () => {
      const r = recipes();
      const outputDir = path.join(r.dir, 'run');
      const file = r.write('tiny.yaml', `${TINY_RECIPE}outputDir: ${JSON.stringify(outputDir)}\n`);
      assert.equal((await cli('validate', file)).code, 0);
      assert.equal(fs.existsSync(outputDir), false);
    });
  });

  describe('list', () => {
    it('lists one kind with each type, its class and its settings', async () => {
      const run = await cli('list', 'optimizer');
      assert.equal(run.code, 0);
      assert.equal(run.out[0], 'optimizer factories:');
      assert.ok(run.out.includes('  adamw  (AdamWOptimizerFactory)'));
      assert.ok(run.out.includes('  sgd  (SgdOptimizerFactory)'));
      assert.ok(run.out.includes('      lr: 0.001'));
      assert.equal(run.out.filter((line) => /^\S/.test(line)).length, 1, 'only the optimizer kind');
    });

    it("lists trainers with the types each section accepts", async () => {
      const run = await cli('list', 'trainer');
      assert.equal(run.code, 0);
      const tiny = run.out.indexOf('  tiny  (TinyTrainer)');
      assert.ok(tiny >= 0, run.out.join('\n'));
      const section = run.out.slice(tiny + 1, run.out.findIndex((line, i) => i > tiny && /^ {2}\S/.test(line)));
      assert.ok(section.includes('      data.type: tiny-regression'), section.join('\n'));
      assert.ok(section.includes('      optimizer.type: adamw | adam | sgd'), section.join('\n'));
    });

    it('lists every kind that has registered types, trainers first as in its help', async () => {
      const run = await cli('list');
      assert.equal(run.code, 0);
      const headings = run.out.filter((line) => /^\S/.test(line));
      assert.equal(headings[0], 'trainers:', headings.join(', '));
      for (const heading of ['trainers:', 'optimizer factories:', 'scheduler factories:', 'data factories:', 'model factories:']) {
        assert.ok(headings.includes(heading), `${heading} in ${headings.join(', ')}`);
      }
    });

    it('shows required settings as (required), with the types a component field takes', async () => {
      const sources = await cli('list', 'source');
      assert.equal(sources.code, 0);
      const text = sources.out.indexOf('  text  (TextSourceFactory)');
      assert.equal(sources.out[text + 1], '      paths: (required)');
      assert.ok(sources.out.includes('      seed: (unset)'), 'an optional setting without a default');
      const data = await cli('list', 'data');
      assert.equal(data.out[data.out.indexOf('  causal  (CausalDataFactory)') + 1], '      sources: (required) (a list of data sources: synthetic, text, jsonl)');
    });

    it('lists the types a plugin registers with --code, and names every kind in its help', async () => {
      const plugin = writeTrainerPlugin(recipes(), 'list_plugin.js', 'listed-plugin');
      assert.ok(!(await cli('list', 'trainer')).out.some((line) => line.startsWith('  listed-plugin ')));
      const run = await cli('list', 'trainer', '--code', plugin);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.ok(run.out.includes('  listed-plugin  (PluginTrainer)'), run.out.join('\n'));
      const help = (await cli('list', '--help')).out.join('\n').replace(/\s+/g, ' ');
      for (const kind of ['trainer', 'data', 'source', 'loss', 'tabular-source', 'callback', 'checkpoint']) assert.match(help, new RegExp(`[(, ]${kind}[,)]`), kind);
      assert.match(help, /--code/);
    });

    it('takes a kind in the plural (floe list trainers, losses)', async () => {
      for (const [kind, heading] of [['trainers', 'trainers:'], ['losses', 'loss factories:'], ['tabular-sources', 'tabular data sources:']]) {
        const run = await cli('list', kind);
        assert.equal(run.code, 0, run.err.join('\n'));
        assert.deepEqual(run.out.filter((line) => /^\S/.test(line)), [heading], kind);
      }
    });

    it('takes --code before the kind (one module per --code), and names the flag when a plugin is missing', async () => {
      const plugin = writeTrainerPlugin(recipes(), 'list_plugin_first.js', 'listed-first');
      const run = await cli('list', '--code', plugin, 'trainer');
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.ok(run.out.includes('  listed-first  (PluginTrainer)'), run.out.join('\n'));
      assert.deepEqual(run.out.filter((line) => /^\S/.test(line)), ['trainers:']);
      const missing = await cli('schema', '--code', './nope.js');
      assert.equal(missing.code, 1);
      assert.match(missing.err[0], /^error: Cannot load --code plugins: code\[0\]: \S*nope\.js: file not found .*\(--code \.\/nope\.js\)$/);
    });

    it('exits 1 for an unknown kind, with the kinds and did you mean', async () => {
      const run = await cli('list', 'optimiser');
      assert.equal(run.code, 1);
      assert.match(run.err[0], /^error: Unknown kind 'optimiser'\. Kinds: .*\boptimizer\b.*\. Did you mean 'optimizer'\?$/);
    });

    it('points to --code for a kind no loaded module declares, as a plugin kind before its plugin is imported', async () => {
      const run = await cli('list', 'regularizer');
      assert.equal(run.code, 1);
      assert.match(run.err[0], /^error: Unknown kind 'regularizer'\. Kinds: .*\. A kind a plugin declares is listed with its plugin: floe list regularizer --code \.\/plugin\.js\.$/);
    });
  });

  describe('usage', () => {
    it('prints help through its io and exits 0', async () => {
      const run = await cli('--help');
      assert.equal(run.code, 0);
      const help = run.out.join('\n');
      for (const command of ['floe train <recipe>', 'floe validate <recipe>', 'floe list [kind]', 'floe env', '--verbose', '--version']) {
        assert.ok(help.includes(command), `help mentions ${command}`);
      }
      const train = (await cli('train', '--help')).out.join('\n');
      assert.ok(train.includes('--set') && train.includes('--resume'), train);
      const version = await cli('--version');
      assert.deepEqual(version.out, [JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version]);
    });

    it('a folder where a file is expected is a usage or input error, not an internal one', async () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-cli-folder-'));
      try {
        const schema = await cli('schema', '--out', folder);
        assert.equal(schema.code, 1);
        assert.equal(schema.err[0], `error: --out ${folder} is a folder: give a file name, e.g. --out ${path.join(folder, 'recipe.schema.json')}`);
        const file = path.join(folder, 'a-file');
        fs.writeFileSync(file, '');
        const underFile = await cli('schema', '--out', path.join(file, 'schema.json'));
        assert.equal(underFile.code, 1);
        assert.equal(underFile.err[0], `error: Cannot write the schema to ${path.join(file, 'schema.json')}: a part of the path is a file, not a folder (ENOTDIR)`);
        const recipe = await cli('validate', folder);
        assert.equal(recipe.code, 1);
        assert.match(recipe.err[0], /cannot read recipe .*: it is a folder, not a recipe file \(give the \.yaml file\)$/);
      } finally {
        fs.rmSync(folder, { recursive: true, force: true });
      }
    });

    it("resumes from the recipe's own run folder when --resume has no value (its --set outputDir too)", async () => {
      const r = recipes();
      const run = path.join(r.dir, 'run');
      const file = r.write('bare-resume.yaml', `${TINY_RECIPE}quiet: true\nepochs: 1\noutputDir: ${JSON.stringify(run)}\n`);
      // No checkpoint yet: the error names the run folder the bare flag stands for.
      const early = await cli('train', file, '--resume');
      assert.equal(early.code, 1);
      assert.ok(early.err[0].startsWith(`error: --resume (no value) resumes the newest checkpoint of the recipe's run folder (outputDir), and there is none: No Floe checkpoint at '${run}': the path does not exist`), early.err[0]);
      assert.equal((await cli('train', file)).code, 0);
      const resumed = await cli('train', file, '--resume', '--set', 'epochs=2');
      assert.equal(resumed.code, 0, resumed.err.join('\n'));
      assert.match(resumed.out.find((l) => l.startsWith('done: ')) ?? '', /^done: 16 steps \(8 after resuming at step 8\) in /);
      // --set outputDir moves the run folder, and the bare flag follows it.
      const moved = path.join(r.dir, 'moved');
      const elsewhere = await cli('train', file, '--resume', '--set', `outputDir=${moved}`);
      assert.equal(elsewhere.code, 1);
      assert.ok(elsewhere.err[0].includes(`No Floe checkpoint at '${moved}'`), elsewhere.err[0]);
    });

    it('names a word that is no command, lists an unknown flag once, and refuses --set where no recipe is read', async () => {
      assert.deepEqual((await cli('bogus')).err[0], "error: Unknown command 'bogus'. Commands: train, validate, evaluate, list, predict, export, generate, report, schema, env.");
      assert.deepEqual((await cli('list', '--bogus-flag')).err[0], 'error: Unknown flag --bogus-flag for floe list. Its flags: --code, --verbose, --help, --version.');
      const set = await cli('env', '--set', 'a=1');
      assert.equal(set.code, 1);
      assert.equal(
        set.err[0],
        'error: Unknown flag --set for floe env (--set overrides a recipe setting: only train, validate and evaluate take it). Its flags: --backend, --json, --verbose, --help, --version.',
      );
    });

    it('rejects an unknown flag without running the command', async () => {
      const run = await cli('list', '--bogus');
      assert.equal(run.code, 1);
      assert.deepEqual(run.out, []);
      assert.deepEqual(run.err, ['error: Unknown flag --bogus for floe list. Its flags: --code, --verbose, --help, --version.', 'Run floe list --help for usage.']);
    });

    it("suggests the command's flag a typo was close to, and names extra words with the command's usage", async () => {
      const typo = await cli('train', 'r.yaml', '--resum', 'x');
      assert.equal(typo.code, 1);
      assert.deepEqual(typo.err, [
        'error: Unknown flag --resum for floe train. Did you mean --resume? Its flags: --resume, --set, --verbose, --help, --version.',
        'Run floe train --help for usage.',
      ]);
      // A one-dash letter is named as typed (was: 'Unknown flag --s'), with the flags it starts.
      const letter = await cli('train', 'r.yaml', '-s', 'epochs=2');
      assert.equal(letter.code, 1);
      assert.equal(letter.err[0], 'error: Unknown flag -s for floe train (flags have no one-letter forms). Did you mean --set? Its flags: --resume, --set, --verbose, --help, --version.');
      const extra = await cli('list', 'optimizer', 'extra');
      assert.equal(extra.err[0], "error: Unexpected argument 'extra' for floe list. Usage: floe list [kind].");
      const stdin = await cli('predict', '--checkpoint', 'x', '--input', '-');
      assert.equal(
        stdin.err[0],
        "error: Unexpected argument '-' for floe predict. '-' (standard input) is not read: give a file. It takes flags only: --checkpoint, --input, --format, --delimiter, --backend, --verbose, --help, --version.",
      );
    });

    it('names a bad choice with the valid ones, and a missing required flag by its --name', async () => {
      const format = await cli('export', '--checkpoint', 'x', '--format', 'onnx', '--out', 'y');
      assert.equal(format.code, 1);
      assert.deepEqual(format.err, ["error: --format 'onnx' is not one of: safetensors, tfjs, hf.", 'Run floe export --help for usage.']);
      const missing = await cli('generate');
      assert.equal(missing.code, 1);
      assert.equal(missing.err[0], 'error: floe generate needs --checkpoint and --prompt.');
    });

    it('rejects a flag without its value as a usage error, not an internal one', async () => {
      const run = await cli('validate', 'recipe.yaml', '--set');
      assert.equal(run.code, 1);
      assert.deepEqual(run.err, ['error: --set needs a value.', 'Run floe validate --help for usage.']);
    });

    it('rejects an unknown command with a suggestion', async () => {
      const run = await cli('lst');
      assert.equal(run.code, 1);
      assert.deepEqual(run.err, [
        "error: Unknown command 'lst'. Did you mean 'list'? Commands: train, validate, evaluate, list, predict, export, generate, report, schema, env.",
        'Run floe --help for usage.',
      ]);
    });

    it('rejects a missing command and a missing recipe', async () => {
      const none = await cli();
      assert.equal(none.code, 1);
      assert.equal(none.err[0], 'error: Name a command: train, validate, evaluate, list, predict, export, generate, report, schema, env (floe --help shows all).');
      const noRecipe = await cli('validate');
      assert.equal(noRecipe.code, 1);
      assert.equal(hasStackTrace(noRecipe.err), false);
      assert.deepEqual(noRecipe.err, ['error: floe validate needs <recipe>: floe validate <recipe> [more..]', 'Run floe validate --help for usage.']);
      // evaluate's <recipe> may be a run folder too: the message says so (was: only 'floe evaluate <recipe>').
      const noEvaluated = await cli('evaluate');
      assert.equal(noEvaluated.code, 1);
      assert.equal(noEvaluated.err[0], 'error: floe evaluate needs <recipe> (a recipe file with --checkpoint <dir>, or a run folder alone: floe evaluate runs/quickstart): floe evaluate <recipe>');
      const swallowed = await cli('validate', '--bogus', 'recipe.yaml');
      assert.equal(swallowed.code, 1);
      assert.equal(
        swallowed.err[0],
        "error: floe validate needs <recipe>: floe validate <recipe> [more..] ('recipe.yaml' was read as the value of --bogus; put flags after the positional arguments)",
      );
    });
  });

  describe('train', () => {
    it('trains a recipe, logging through its io, and exits 0', async () => {
      const r = recipes();
      const file = r.write('tiny.yaml', `${TINY_RECIPE}epochs: 10\nlogInterval: 8\ncheckpoint: []\noutputDir: ${JSON.stringify(path.join(r.dir, 'run'))}\n`);
      const before = tf.memory().numTensors;
      const run = await cli('train', file);
      assert.equal(run.code, 0, run.err.join('\n'));
      const losses = loggedLosses(run.out);
      assert.equal(losses.length, 10, run.out.join('\n'));
      assert.ok(losses[9] < losses[0] / 10, `loss fell from ${losses[0]} to ${losses[9]}`);
      assert.match(run.out[run.out.length - 1], /^done: 80 steps in \d+\.\ds, final loss \d+\.\d{4}$/);
      assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
    });

    it("says 'done: 1 step' of a one-step run", async () => {
      const r = recipes();
      const file = r.write('one.yaml', `${TINY_RECIPE}trainIters: 1\ncheckpoint: []\noutputDir: ${JSON.stringify(path.join(r.dir, 'run'))}\n`);
      const run = await cli('train', file);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.match(run.out[run.out.length - 1], /^done: 1 step in \d+\.\ds, final loss \d+\.\d{4}$/);
    });

    it("keeps to warnings and errors under the recipe's quiet, resuming too; prints its result", async () => {
      const r = recipes();
      const run = path.join(r.dir, 'run');
      const file = r.write('quiet.yaml', `${TINY_RECIPE}quiet: true\nprogress: lines\nepochs: 1\noutputDir: ${JSON.stringify(run)}\n`);
      const first = await cli('train', file);
      assert.equal(first.code, 0, first.err.join('\n'));
      assert.deepEqual(first.err, []);
      assert.deepEqual(first.out.filter((l) => !/^(done|last checkpoint): /.test(l)), [], 'only the result');
      const resumed = await cli('train', file, '--resume', run, '--set', 'epochs=2');
      assert.equal(resumed.code, 0, resumed.err.join('\n'));
      assert.deepEqual(resumed.out.filter((l) => !/^(done|last checkpoint): /.test(l)), [], 'no "resumed from" line');
      // The time covers only the steps after the resume: the line says how many those were.
      assert.match(resumed.out.find((l) => l.startsWith('done: ')) ?? '', /^done: 16 steps \(8 after resuming at step 8\) in \d+\.\ds, final loss /);
      const loud = await cli('train', file, '--resume', run, '--set', 'epochs=3', '--set', 'quiet=false', '--set', 'progress=none');
      assert.ok(loud.out.some((l) => l.startsWith('resumed from ')), loud.out.join('\n'));
    });

    it('exits 2 with the stack for an internal failure', async () => {
      class BrokenTrainer extends TinyTrainer {
        static override readonly type = 'broken';
        override async epoch(): Promise<void> {
          throw new TypeError('boom');
        }
      }
      register(BrokenTrainer);
      const r = recipes();
      const file = r.write('broken.yaml', `type: broken\nbackend: cpu\nquiet: true\ncheckpoint: []\noutputDir: ${JSON.stringify(path.join(r.dir, 'run'))}\n`);
      const run = await cli('train', file);
      assert.equal(run.code, 2);
      assert.match(run.err[0], /^internal error: TypeError: boom\n/);
      assert.ok(hasStackTrace(run.err));
    });

    it("exits 1 naming the class, the batch and the plugin line when a plugin's loss() throws; --verbose adds both stacks", async () => {
      class ThrowingLossTrainer extends TinyTrainer {
        static override readonly type = 'throwing-loss';
        override loss(_batch: TinyBatch): tf.Scalar {
          throw new TypeError('boom');
        }
      }
      register(ThrowingLossTrainer);
      const r = recipes();
      const file = r.write('throwing.yaml', `type: throwing-loss\nbackend: cpu\nquiet: true\ncheckpoint: []\noutputDir: ${JSON.stringify(path.join(r.dir, 'run'))}\n`);
      const run = await cli('train', file);
      assert.equal(run.code, 1);
      assert.match(run.err[0], /^error: ThrowingLossTrainer\.loss\(\) threw on training batch 1 of epoch 1 \(step 1\), batch \{x: float32\[8,4\], y: float32\[8,1\]\} at \S*cli\.spec\.js:\d+:\d+: boom$/);
      assert.ok(!hasStackTrace(run.err));
      const verbose = await cli('train', file, '--set', 'overwriteOutputDir=true', '--verbose');
      const text = verbose.err.join('\n');
      assert.match(text, /Caused by: TypeError: boom\n\s+at ThrowingLossTrainer\.loss \(/);
    });
  });
});

describe('floe CLI (bin/floe.js)', () => {
  const recipes = useRecipeDir('floe-cli-spawn-');

  it('trains a recipe with a plugin trainer in a real process, exit 0 and the loss falling', async () => {
    const r = recipes();
    writeTrainerPlugin(r, 'my_trainer.js', 'plugin-tiny');
    const file = r.write(
      'recipe.yaml',
      [
        'code: ./my_trainer.js',
        'type: plugin-tiny',
        'backend: cpu',
        'epochs: 10',
        'logInterval: 8',
        'optimizer: { type: adam, lr: 0.05 }',
        'checkpoint: []',
        `outputDir: ${JSON.stringify(path.join(r.dir, 'run'))}`,
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await runNode([path.join(REPO, 'bin', 'floe.js'), 'train', file], REPO);
    assert.equal(code, 0, `exit ${code}\n${stderr}`);
    const losses = loggedLosses(stdout.split('\n'));
    assert.equal(losses.length, 10, stdout);
    assert.ok(losses[9] < losses[0] / 10, `loss fell from ${losses[0]} to ${losses[9]}`);
    assert.match(stdout, /^done: 80 steps in /m);
    assert.ok(fs.existsSync(path.join(r.dir, 'run', 'recipe.resolved.yaml')));
  });
});

describe('recipes/', () => {
  isolateRegistries();
  const files = fs.existsSync(RECIPES) ? fs.readdirSync(RECIPES).filter((name) => name.endsWith('.yaml')).sort() : [];

  it('exists', () => {
    assert.ok(fs.statSync(RECIPES).isDirectory(), `${RECIPES} is a folder`);
  });

  for (const name of files) {
    it(`validates ${name}`, async () => {
      const run = await cli('validate', path.join(RECIPES, name));
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.match(run.out[0], /^OK: .* is valid — trainer '/);
    });
  }
});

/** Runs `node args...` in `cwd`, collecting its output. */
function runNode(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
