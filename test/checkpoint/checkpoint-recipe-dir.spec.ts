import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { IsString } from 'class-validator';
import { stringify as toYaml } from 'yaml';
import { FactoryList, Logger, MlpConfig, MlpModel, MlpModelFactory, register, restoreRegistries, RegistrySnapshot, runJob, snapshotRegistries, SupervisedTrainer } from '../../src';
import { Rng } from '../../src/random';
import { supervisedHost } from '../../src/model/supervised-model';
import { cli } from '../support/cli-run';
import { tinyTokenizerJson } from '../tokenizer/tiny-hf-tokenizer';
import { QUIET_RUN } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/** Config of a plugin model that reads its hidden widths from a file next to the recipe, as the built-ins read recipe-relative files. */
class FileMlpConfig extends MlpConfig {
  /** JSON array of hidden widths, relative to the recipe. */
  @IsString()
  path = '';
}

/** A user's model plugin: an MLP whose widths come from `path`, resolved against the run's recipe folder. */
class FileMlpFactory extends MlpModelFactory {
  static override readonly type: string = 'file-mlp';
  static override readonly configType = FileMlpConfig;

  override async createModel(): Promise<MlpModel> {
    const host = supervisedHost(this.trainer, 'file-mlp');
    const file = path.resolve(this.trainer.context.recipeDir, (this.config as unknown as FileMlpConfig).path);
    const hidden = JSON.parse(fs.readFileSync(file, 'utf8')) as number[];
    return new MlpModel({ inputSize: host.modelInputSize, outputSize: host.modelOutputSize, hidden, activation: 'tanh', dropout: 0, outputActivation: 'linear' }, new Rng(this.trainer.config.seed).fork('model'));
  }
}

/** A supervised trainer that accepts the plugin model. */
class FileMlpTrainer extends SupervisedTrainer {
  static override readonly type: string = 'file-mlp-supervised';
  static override readonly modelFactoryType: FactoryList = [FileMlpFactory];
}

/** Runs `body` with the working folder set to `cwd`. */
async function inFolder<T>(cwd: string, body: () => Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    return await body();
  } finally {
    process.chdir(before);
  }
}

/**
 * A checkpoint's recipe.yaml keeps the recipe's relative paths (data files, tokenizer, a plugin's
 * files); every command that builds from it resolves them against the folder of the recipe the run
 * was started from (trainer-state.json's recipeDir), as a resume compares them: not against the
 * checkpoint folder, nor the working folder.
 */
describe('relative paths of a checkpoint recipe', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let project: string;
  let elsewhere: string;
  let registries: RegistrySnapshot;
  const lines: string[] = [];
  const logger = new Logger({ sink: (_level, line) => lines.push(line) });

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-recipe-dir-'));
    registries = snapshotRegistries();
    register(FileMlpFactory);
    register(FileMlpTrainer);
    project = path.join(dir, 'project');
    elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(project);
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(project, 'rows.csv'), ['x,y', ...Array.from({ length: 40 }, (_, i) => `${i / 10},${(2 * i) / 10 + 1}`)].join('\n'));
    fs.writeFileSync(path.join(project, 'widths.json'), '[6]');
    fs.writeFileSync(path.join(project, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    fs.writeFileSync(path.join(elsewhere, 'input.jsonl'), '{"x": 1.5}\n');
    const common = { ...QUIET_RUN, seed: 3, backend: 'cpu', checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] };
    fs.writeFileSync(
      path.join(project, 'supervised.yaml'),
      toYaml({
        ...common,
        type: 'file-mlp-supervised',
        outputDir: path.join(dir, 'supervised-run'),
        trainIters: 2,
        microBatchSize: 8,
        data: { type: 'tabular', sources: [{ type: 'csv', paths: 'rows.csv', features: ['x'], targets: ['y'] }] },
        model: { type: 'file-mlp', path: 'widths.json' },
        loss: { type: 'mse' },
      }),
    );
    fs.writeFileSync(
      path.join(project, 'causal.yaml'),
      toYaml({
        ...common,
        type: 'causal',
        outputDir: path.join(dir, 'causal-run'),
        trainIters: 2,
        microBatchSize: 4,
        tokenizer: { type: 'hf', path: 'tokenizer.json' },
        data: { type: 'causal', sources: [{ type: 'synthetic', task: 'reverse', count: 20, output: 'text', alphabet: 'helowrd' }], maxLength: 16, evalGenerations: 0, cache: false },
        model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16 },
        scheduler: { type: 'constant' },
      }),
    );
    // Trained from the recipes' folder; used from another.
    await inFolder(project, async () => {
      await runJob('supervised.yaml', { logger });
      await runJob('causal.yaml', { logger });
    });
  });
  after(async () => {
    restoreRegistries(registries);
    await cleanup();
  });

  it("floe predict resolves them against the run's recipe folder, from another working folder", async () => {
    const before = tf.memory().numTensors;
    const run = await inFolder(elsewhere, () => cli('predict', '--checkpoint', path.join(dir, 'supervised-run'), '--input', 'input.jsonl', '--backend', 'cpu'));
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.equal(run.out.length, 1);
    assert.ok(Number.isFinite((JSON.parse(run.out[0]) as { y: number }).y), run.out[0]);
    assert.equal(tf.memory().numTensors, before);
  });

  it("floe generate and floe export resolve the tokenizer's path against the run's recipe folder, from another working folder", async () => {
    const checkpoint = path.join(dir, 'causal-run');
    const generated = await inFolder(elsewhere, () => cli('generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--max-tokens', '3', '--prompt', 'hello'));
    assert.equal(generated.code, 0, generated.err.join('\n'));
    assert.ok(generated.out[0].startsWith('hello'), generated.out.join('\n'));
    const exported = await inFolder(elsewhere, () => cli('export', '--checkpoint', checkpoint, '--format', 'safetensors', '--out', 'exported'));
    assert.equal(exported.code, 0, exported.err.join('\n'));
    assert.ok(fs.existsSync(path.join(elsewhere, 'exported')));
  });

  it('a resume from a run whose recipe folder moved compares the saved relative paths against the folder of the recipe it runs', async () => {
    const moved = path.join(dir, 'moved-project');
    fs.cpSync(project, moved, { recursive: true });
    const recipe = path.join(moved, 'causal.yaml');
    fs.writeFileSync(recipe, fs.readFileSync(recipe, 'utf8').replace('trainIters: 2', 'trainIters: 4').replace(path.join(dir, 'causal-run'), path.join(dir, 'causal-resumed')));
    fs.renameSync(project, path.join(dir, 'gone'));
    try {
      lines.length = 0;
      const result = await runJob(recipe, { logger, resumeFrom: path.join(dir, 'causal-run') });
      assert.ok(result.globalStep > 2, lines.join('\n'));
      assert.ok(lines.some((l) => l.includes('resumed from')), lines.join('\n'));
      // The tokenizer is the same file name next to the recipe, so no setting changed.
      assert.deepEqual(lines.filter((l) => /settings? changed/.test(l)), []);
    } finally {
      fs.renameSync(path.join(dir, 'gone'), project);
    }
  });
});
