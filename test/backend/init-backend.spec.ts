import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import {
  BACKEND_NAMES,
  NATIVE_BACKEND_PACKAGES,
  WASM_KERNEL_OVERRIDES,
  checkBackendRequest,
  initBackend,
  isBackendName,
  isPackageInstalled,
  pickAutoBackend,
  type BackendName,
} from '../../src/backend';
import { runCli } from '../../src/cli/main';
import { validateRecipe } from '../../src/config/validate-recipe';
import { BackendUnavailableError, ConfigError, FloeError, UnknownTypeError } from '../../src/errors';
import '../fixtures/tiny-regression';

const REPO_ROOT = path.resolve(__dirname, '../..');
const BANNER = 'looks like you are running TensorFlow.js in Node.js';

/** Runs a JS snippet in a fresh Node process (ts-node for Floe's sources); returns its stderr+stdout. */
function runInFreshProcess(code: string): string {
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register', '-e', code], {
    cwd: REPO_ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 0, `child failed: ${result.stderr}`);
  return `${result.stderr}${result.stdout}`;
}

describe('initBackend', () => {
  let previous: string | undefined;
  before(() => {
    previous = tf.getBackend();
  });
  after(async () => {
    if (previous) await tf.setBackend(previous);
  });

  it('lists the backend names for config validation, auto first', () => {
    assert.deepEqual([...BACKEND_NAMES], ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']);
    assert.ok(isBackendName('wasm'));
    assert.ok(!isBackendName('webgl'));
  });

  it('rejects an unknown name, listing the choices and the likely typo', async () => {
    await assert.rejects(initBackend({ name: 'wsm' as BackendName }), (error: unknown) => {
      assert.ok(error instanceof UnknownTypeError);
      assert.match(error.message, /Unknown backend 'wsm'/);
      assert.match(error.message, /Supported: auto, wasm, cpu, tensorflow, tensorflow-gpu/);
      assert.match(error.message, /Did you mean 'wasm'\?/);
      return true;
    });
  });

  it("a name from another tool (gpu, cuda, tfjs-node) is told what it is here, not 'did you mean cpu'", async () => {
    await assert.rejects(initBackend({ name: 'gpu' as BackendName }), (error: unknown) => {
      assert.ok(error instanceof UnknownTypeError);
      assert.match(error.message, /Unknown backend 'gpu'\. Supported: .*\. For a GPU, use backend tensorflow-gpu \(npm install @tensorflow\/tfjs-node-gpu;/);
      assert.doesNotMatch(error.message, /Did you mean/);
      return true;
    });
    const recipe = await validateRecipe({ type: 'tiny', backend: 'tfjs-node' }).catch((e: Error) => e);
    assert.ok(recipe instanceof ConfigError);
    assert.match(recipe.message, /backend\.name: must be one of the following values: auto, wasm, cpu, tensorflow, tensorflow-gpu, got "tfjs-node"\. For libtensorflow on the CPU, use backend tensorflow \(npm install @tensorflow\/tfjs-node\)\.$/);
    const lines: string[] = [];
    const cuda = await runCli(['env', '--backend', 'cuda'], { out: () => undefined, err: (l) => lines.push(l) });
    assert.equal(cuda, 1);
    assert.match(lines[0], /^error: --backend 'cuda' is not one of: auto, wasm, cpu, tensorflow, tensorflow-gpu\. For a GPU, use backend tensorflow-gpu/);
  });

  it('auto prefers tensorflow-gpu, then tensorflow, then wasm, by what is installed', () => {
    const installed = (names: string[]) => (pkg: string) => names.includes(pkg);
    assert.equal(pickAutoBackend(installed(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'])), 'tensorflow-gpu');
    assert.equal(pickAutoBackend(installed(['@tensorflow/tfjs-node'])), 'tensorflow');
    assert.equal(pickAutoBackend(installed([])), 'wasm');
  });

  for (const name of ['tensorflow', 'tensorflow-gpu'] as const) {
    it(`explains how to install the package when '${name}' is asked for but missing`, async function () {
      const pkg = NATIVE_BACKEND_PACKAGES[name];
      if (isPackageInstalled(pkg)) this.skip();
      await assert.rejects(initBackend({ name }), (error: unknown) => {
        assert.ok(error instanceof BackendUnavailableError);
        assert.ok(error.message.includes(`npm install ${pkg}`), error.message);
        assert.match(error.message, /downloads the native libtensorflow library at install time/);
        return true;
      });
    });
  }

  it('checks a request without starting a backend: the name it resolves to, or the error initBackend would throw', () => {
    const before = tf.getBackend();
    assert.equal(checkBackendRequest({ name: 'wasm' }), 'wasm');
    assert.equal(checkBackendRequest({ name: 'cpu', threads: 1 }), 'cpu');
    assert.equal(checkBackendRequest({ name: 'auto' }), pickAutoBackend());
    assert.throws(() => checkBackendRequest({ name: 'wasm', threads: 2 }), /cannot use 2 threads under Node\.js/);
    assert.throws(() => checkBackendRequest({ name: 'cpu', threads: 3 }), /The cpu backend runs on one thread; threads: 3/);
    assert.throws(() => checkBackendRequest({ name: 'wsam' as BackendName }), (error: unknown) => error instanceof UnknownTypeError && /Did you mean 'wasm'/.test(error.message));
    for (const name of ['tensorflow', 'tensorflow-gpu'] as const) {
      if (isPackageInstalled(NATIVE_BACKEND_PACKAGES[name])) assert.equal(checkBackendRequest({ name }), name);
      else assert.throws(() => checkBackendRequest({ name }), (error: unknown) => error instanceof BackendUnavailableError && error.message.includes(`npm install ${NATIVE_BACKEND_PACKAGES[name]}`));
    }
    assert.equal(tf.getBackend(), before, 'nothing was started');
  });

  it('starts wasm with Floe kernel overrides, and is idempotent', async () => {
    const first = await initBackend({ name: 'wasm' });
    const second = await initBackend({ name: 'wasm', threads: 1 });
    assert.deepEqual(first, { name: 'wasm', requested: 'wasm', threads: 1, kernelOverrides: [...WASM_KERNEL_OVERRIDES] });
    assert.deepEqual(second, first);
    assert.equal(tf.getBackend(), 'wasm');
    const product = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2]), true, false);
    assert.deepEqual(Array.from(await product.data()), [1, 3, 2, 4]);
    product.dispose();
  });

  it('auto falls back to wasm when no native backend is installed', async function () {
    if (pickAutoBackend() !== 'wasm') this.skip();
    const info = await initBackend({ name: 'auto' });
    assert.equal(info.name, 'wasm');
    assert.equal(info.requested, 'auto');
  });

  it('refuses more than one wasm thread and explains why', async () => {
    await assert.rejects(initBackend({ name: 'wasm', threads: 2 }), (error: unknown) => {
      assert.ok(error instanceof BackendUnavailableError);
      assert.match(error.message, /cannot use 2 threads under Node\.js/);
      assert.match(error.message, /Use threads: 1/);
      return true;
    });
    await assert.rejects(initBackend({ name: 'wasm', threads: 0 }), FloeError);
  });

  it('starts cpu on one thread with no overrides', async () => {
    assert.deepEqual(await initBackend({ name: 'cpu' }), { name: 'cpu', requested: 'cpu', threads: 1, kernelOverrides: [] });
    assert.equal(tf.getBackend(), 'cpu');
    await assert.rejects(initBackend({ name: 'cpu', threads: 4 }), FloeError);
  });

  it("silences tfjs's Node.js banner on the cpu backend", () => {
    const touchCpu = "tf.tensor([1, 2]).dataSync(); console.log('done');";
    const control = runInFreshProcess(`const tf = require('@tensorflow/tfjs'); tf.setBackend('cpu').then(() => { ${touchCpu} });`);
    assert.ok(control.includes(BANNER), 'control run should show the banner, else this test proves nothing');
    const output = runInFreshProcess(
      `const tf = require('@tensorflow/tfjs'); require('./src/backend').initBackend({ name: 'cpu' }).then(() => { ${touchCpu} });`,
    );
    assert.ok(output.includes('done'), output);
    assert.ok(!output.includes(BANNER), output);
  });
});
