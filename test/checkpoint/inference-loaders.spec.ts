import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { editCheckpointTensors, replaceTensor } from './fixtures/edit-checkpoint';
import { runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';
import { cli as runCliCaptured } from '../support/cli-run';

/**
 * The loaders besides --resume and floe evaluate: floe export, floe generate and a new run's
 * model.from. Each must refuse a damaged checkpoint (checksums that pass, content wrong) as a
 * resume does, naming the file, and still load an intact one.
 */
describe('checkpoint checks of floe export, floe generate and model.from', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let pristine: string;
  let step4: string;
  let copies = 0;

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-inference-loaders-'));
    await runRecorded(tinyGptRecipe(path.join(dir, 'first'), { trainIters: 4, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] }));
    pristine = path.join(dir, 'first', 'checkpoints');
  });
  after(() => cleanup());

  beforeEach(() => {
    copies += 1;
    const root = path.join(dir, `copy-${copies}`, 'checkpoints');
    fs.cpSync(pristine, root, { recursive: true });
    step4 = path.join(root, 'step-000004');
  });

  /** Edits step 4's model.safetensors (keeping its step metadata) and rebuilds the manifest. */
  const editWeights = (edit: (tensors: Map<string, tf.Tensor>) => void): Promise<void> => editCheckpointTensors(step4, 'model.safetensors', 4, edit);
  const replace = replaceTensor;

  /** Runs the CLI; returns its exit code and what it printed to stderr. */
  async function cli(argv: string[]): Promise<{ code: number; err: string }> {
    const run = await runCliCaptured(...argv);
    return { code: run.code, err: run.err.join('\n') };
  }

  /** The three loaders of `target`: each resolves to its error message, or undefined when it loaded. */
  function loaders(target: string): Record<string, () => Promise<string | undefined>> {
    const n = ++copies;
    const viaCli = (argv: string[]) => async (): Promise<string | undefined> => {
      const { code, err } = await cli(argv);
      return code === 0 ? undefined : err;
    };
    return {
      export: viaCli(['export', '--checkpoint', target, '--format', 'safetensors', '--out', path.join(dir, `export-${n}`)]),
      generate: viaCli(['generate', '--checkpoint', target, '--backend', 'cpu', '--max-tokens', '2', '--prompt', 'hello']),
      'model.from': async () => {
        const recipe = tinyGptRecipe(path.join(dir, `from-${n}`), { trainIters: 2, checkpoint: [] });
        (recipe.model as Record<string, unknown>).from = target;
        try {
          await runRecorded(recipe);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    };
  }

  /** Asserts every loader refuses step 4 with a message passing `check`, leaving no tensors behind. */
  async function allRefuse(check: (message: string, loader: string) => void): Promise<void> {
    const before = tf.memory().numTensors;
    for (const [name, load] of Object.entries(loaders(step4))) {
      const message = await load();
      assert.ok(message !== undefined, `${name} loaded the damaged checkpoint`);
      check(message, name);
    }
    assert.equal(tf.memory().numTensors, before, 'the failed loads left tensors behind');
  }

  it('all load an intact checkpoint', async () => {
    for (const [name, load] of Object.entries(loaders(step4))) assert.equal(await load(), undefined, name);
  });

  it('refuse NaN or infinite weights, naming the file, the tensor and the checkpoint before', async () => {
    await editWeights((t) => replace(t, 'norm.weight', (old) => tf.fill(old.shape, Number.NaN)));
    await allRefuse((message, loader) => {
      assert.ok(message.includes(`${path.join(step4, 'model.safetensors')} holds NaN or infinite values, in 'norm.weight'.`), `${loader}: ${message}`);
      assert.ok(message.includes(`the newest before it is ${path.join(path.dirname(step4), 'step-000002')}`), `${loader}: ${message}`);
    });
  });

  it('model.from an export folder (no trainer state) refuses NaN weights too; an intact export loads', async () => {
    const exported = path.join(dir, `exported-${++copies}`);
    const { code, err } = await cli(['export', '--checkpoint', step4, '--format', 'safetensors', '--out', exported]);
    assert.equal(code, 0, err);
    assert.equal(await loaders(exported)['model.from'](), undefined);
    step4 = exported;
    await editWeights((t) => replace(t, 'embed.tokens.weight', (old) => tf.fill(old.shape, Number.POSITIVE_INFINITY)));
    const message = await loaders(exported)['model.from']();
    assert.ok(message?.startsWith(`${path.join(exported, 'model.safetensors')} holds NaN or infinite values, in 'embed.tokens.weight'. A run never saves them`), message);
  });

  it('refuse integer weights for float ones (they were cast silently)', async () => {
    await editWeights((t) => replace(t, 'norm.weight', (old) => tf.ones(old.shape, 'int32')));
    await allRefuse((message, loader) => {
      assert.ok(message.includes(`${path.join(step4, 'model.safetensors')} does not match the model: 'norm.weight' holds int32 values but the model's weight is float32`), `${loader}: ${message}`);
    });
  });

  it("refuse a model.safetensors copied in from another save (manifest rebuilt)", async () => {
    fs.copyFileSync(path.join(path.dirname(step4), 'step-000002', 'model.safetensors'), path.join(step4, 'model.safetensors'));
    await writeManifest(step4);
    await allRefuse((message, loader) => {
      assert.ok(message.includes(`Checkpoint '${step4}' mixes files of different saves: model.safetensors was saved at step 2 (its metadata 'step'), but trainer-state.json at state.globalStep 4.`), `${loader}: ${message}`);
    });
  });

  it('refuse a manifest that leaves out model.safetensors (it would load unverified)', async () => {
    const manifestFile = path.join(step4, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { files: { path: string }[] };
    manifest.files = manifest.files.filter((f) => f.path !== 'model.safetensors');
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    await allRefuse((message, loader) => {
      assert.ok(message.includes(`Checkpoint manifest '${manifestFile}' does not list model.safetensors, which is in the folder, so it cannot be verified.`), `${loader}: ${message}`);
    });
  });

  it('refuse a checkpoint whose trainer-state.json is gone with its manifest entry', async () => {
    fs.rmSync(path.join(step4, 'trainer-state.json'));
    await writeManifest(step4);
    await allRefuse((message, loader) => {
      assert.ok(message.includes(`Checkpoint '${step4}' has no trainer-state.json, and its manifest does not list it either.`), `${loader}: ${message}`);
    });
  });
});
