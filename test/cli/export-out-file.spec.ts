import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../support/cli-run';

describe('floe export --out naming an existing file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-export-out-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says --out names a folder and suggests a folder path, not --overwrite (which refuses a file)', async () => {
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, 'keep');
    // The checkpoint is never read: the file is refused first.
    const run = await cli('export', '--checkpoint', path.join(dir, 'none'), '--format', 'safetensors', '--out', file);
    assert.equal(run.code, 1);
    assert.deepEqual(run.err, [
      `error: --out '${file}' is a file, not a folder: --out names the folder the export writes its files into. ` +
        `Choose a folder path that does not exist yet, e.g. --out ${path.join(dir, 'model-export')}.`,
    ]);
    assert.doesNotMatch(run.err[0], /--overwrite/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'keep');
  });

  it('still suggests --overwrite for an existing folder', async () => {
    const out = path.join(dir, 'export');
    fs.mkdirSync(out);
    const run = await cli('export', '--checkpoint', path.join(dir, 'none'), '--format', 'tfjs', '--out', out);
    assert.deepEqual(run.err, [`error: --out '${out}' already exists: pass --overwrite to replace an earlier export there, or choose another --out.`]);
  });
});
