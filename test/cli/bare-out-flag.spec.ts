import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../support/cli-run';

describe('floe report / schema with a bare --out', () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    // The working folder is a fresh one: without the check, the report was written into it.
    cwd = process.cwd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bare-out-'));
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('floe report refuses it and writes nothing, rather than writing the report into the working folder', async () => {
    const run = path.join(dir, 'run');
    fs.mkdirSync(run);
    fs.writeFileSync(path.join(run, 'metrics.jsonl'), `${JSON.stringify({ event: 'train', step: 1, epoch: 0, loss: 1, lr: 0.1 })}\n`);
    const result = await cli('report', run, '--out');
    assert.equal(result.code, 1, result.out.join('\n'));
    assert.deepEqual(result.err, ['error: --out needs a value: the folder to write the report to (leave --out out to write into the run folder)', 'Run floe report --help for usage.']);
    assert.deepEqual(fs.readdirSync(dir), ['run']);
    assert.deepEqual(fs.readdirSync(run), ['metrics.jsonl']);
  });

  it('floe schema says the value is missing, not "Cannot write the schema to : ... (ENOENT)"', async () => {
    const result = await cli('schema', '--out');
    assert.equal(result.code, 1);
    assert.deepEqual(result.out, []);
    assert.deepEqual(result.err, ['error: --out needs a value: the file to write the schema to, e.g. --out recipe.schema.json (leave --out out to print it)', 'Run floe schema --help for usage.']);
  });
});
