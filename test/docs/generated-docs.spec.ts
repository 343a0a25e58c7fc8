import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../../..');

describe('generated docs (recipe reference, field docs)', () => {
  it('are current and every recipe setting has a TSDoc description', () => {
    // A fresh process: other tests register classes of their own, which are not part of the docs.
    const run = spawnSync(process.execPath, [path.join(REPO, 'dist/src/docs/generate-docs.js'), '--check'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, `${run.stderr}${run.stdout}\n(run \`npm run docs:recipes\` to update the generated files; give each setting a /** one-line */ comment)`);
  });
});
