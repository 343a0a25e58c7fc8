import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, makeFolder, validateRecipe } from '../../src';
import '../fixtures/tiny-regression';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

function tinyRecipe(outputDir: string, checkpoint: unknown[]): Record<string, unknown> {
  return { type: 'tiny', backend: 'cpu', ...QUIET_RUN, epochs: 2, microBatchSize: 8, logInterval: 4, outputDir, optimizer: { type: 'adam', lr: 0.05 }, callbacks: [], checkpoint };
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${(error as Error).stack}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('checkpoint engine folders', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-ck-folders-')));
  afterEach(() => cleanup());

  it('validation refuses two engines writing to the same folder, naming both and the resolved folder', async () => {
    const run = path.join(dir, 'run');
    const shared = [
      { type: 'floe', saveEveryNSteps: 10, keepLast: 2, autoResume: true },
      { type: 'safetensors', saveEveryNSteps: 15, dir: 'checkpoints', keepLast: 1 },
    ];
    const error = await configError(validateRecipe(tinyRecipe(run, shared)));
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0].path, 'checkpoint[1].dir');
    assert.match(error.message, /checkpoint\[1\]\.dir: .* is the same folder as checkpoint\[0\] \(floe, its default dir\)/);
    assert.ok(error.message.includes(path.join(run, 'checkpoints')), error.message);
    assert.equal(fs.existsSync(run), false, 'validation does no I/O');

    // Spelled differently, still one folder; exports clash with each other too.
    const exports = await configError(validateRecipe(tinyRecipe(run, [{ type: 'floe' }, { type: 'tfjs', dir: 'out' }, { type: 'safetensors', dir: './out/' }])));
    assert.match(exports.message, /checkpoint\[2\]\.dir: .*out is the same folder as checkpoint\[1\] \(tfjs\)/);

    // Each in its own folder (the defaults differ) is fine.
    await validateRecipe(tinyRecipe(run, [{ type: 'floe' }, { type: 'safetensors' }, { type: 'tfjs', dir: 'web' }]));
    // An empty dir would be the run folder itself.
    const empty = await configError(validateRecipe(tinyRecipe(run, [{ type: 'floe', dir: ' ' }])));
    assert.equal(empty.issues[0].path, 'checkpoint[0].dir');
    assert.match(empty.issues[0].message, /^must name a file or folder/);
  });

  it('a checkpoint dir the run cannot create fails before training, naming checkpoint[i].dir, the folder and why', async () => {
    const run = path.join(dir, 'run');
    const file = path.join(dir, 'afile');
    fs.writeFileSync(file, 'in the way');
    let trained = false;
    const error = await configError(
      runRecorded(tinyRecipe(run, [{ type: 'floe', saveEveryNSteps: 4 }, { type: 'safetensors', dir: path.join(file, 'ck') }]), {
        onTrainerReady: () => {
          trained = true;
        },
      }),
    );
    assert.equal(trained, false, 'no training before the folder check');
    assert.equal(error.issues[0].path, 'checkpoint[1].dir');
    assert.match(error.message, /checkpoint\[1\]\.dir: cannot create the checkpoint folder .*afile\/ck: a part of the path is a file, not a folder \(ENOTDIR\)/);
    assert.doesNotMatch(error.message, /\n\s+at /, 'no stack trace');
  });

  it('a read-only run folder (resuming in place on a read-only disk) is a recipe error naming outputDir and the way out, not an internal error', async () => {
    const run = path.join(dir, 'run');
    await runRecorded(tinyRecipe(run, [{ type: 'floe', dir: path.join(dir, 'ck') }]));
    // Root ignores permission bits, so the read-only file system is simulated where the run checks it.
    const fsp = require('fs/promises') as { access: (p: string, mode?: number) => Promise<void> };
    const access = fsp.access;
    fsp.access = async (p, mode) => {
      if (path.resolve(p) === run && mode === fs.constants.W_OK) throw Object.assign(new Error(`EROFS: read-only file system, access '${p}'`), { code: 'EROFS' });
      return access(p, mode);
    };
    try {
      const error = await configError(runRecorded({ ...tinyRecipe(run, [{ type: 'floe', dir: path.join(dir, 'ck') }]), epochs: 3 }, { resumeFrom: path.join(dir, 'ck') }));
      assert.equal(error.issues[0].path, 'outputDir');
      assert.match(error.message, /outputDir: cannot write to the run folder .*run: the file system is read-only \(EROFS\)\. Set an outputDir the run can write to \(--set outputDir=\.\.\.\)/);
    } finally {
      fsp.access = access;
    }
  });

  it('makeFolder fails with the file system\'s code where mkdir -p would hang or mislead', async () => {
    const file = path.join(dir, 'afile');
    fs.writeFileSync(file, 'x');
    await assert.rejects(makeFolder(path.join(file, 'a', 'b')), { code: 'ENOTDIR' });
    await assert.rejects(makeFolder(file), { code: 'EEXIST' });
    // Node's recursive mkdir never returns here; makeFolder reports ENOENT.
    if (process.platform === 'linux') await assert.rejects(makeFolder('/proc/floe-test/x'), { code: 'ENOENT' });
    await makeFolder(path.join(dir, 'new', 'nested'));
    assert.ok(fs.statSync(path.join(dir, 'new', 'nested')).isDirectory());
  });
});
