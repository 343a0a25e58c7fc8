import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { cli } from '../support/cli-run';

describe('the checkpoint as the first word (floe generate/export/predict <checkpoint>)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-checkpoint-arg-'));
    run = path.join(dir, 'run');
    await runRecorded(tinyGptRecipe(run, { trainIters: 2 }));
  });
  after(() => cleanup());

  it('generate reads the run named first, as with --checkpoint, and prints the same text', async () => {
    const word = await cli('generate', run, '--prompt', 'ab', '--max-tokens', '4');
    assert.equal(word.code, 0, word.err.join('\n'));
    const flag = await cli('generate', '--checkpoint', run, '--prompt', 'ab', '--max-tokens', '4');
    assert.equal(flag.code, 0, flag.err.join('\n'));
    assert.ok(word.out.length > 0);
    assert.deepEqual(word.out, flag.out);
  });

  it('export writes the checkpoint named first', async () => {
    const out = path.join(dir, 'st');
    const r = await cli('export', run, '--format', 'safetensors', '--out', out);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.ok(fs.existsSync(path.join(out, 'model.safetensors')));
  });

  it('predict takes the first word as its checkpoint', async () => {
    const rows = path.join(dir, 'rows.jsonl');
    fs.writeFileSync(rows, '[1, 2]\n');
    const r = await cli('predict', path.join(dir, 'no-such-run'), '--input', rows);
    assert.equal(r.code, 1);
    assert.match(r.err[0], /^error: No Floe checkpoint at '.*no-such-run': the path does not exist/);
  });

  it('a checkpoint named both ways is a flag given twice; a word after the flags stays a stray word', async () => {
    for (const command of ['generate', 'export', 'predict']) {
      const rest = command === 'generate' ? ['--prompt', 'a'] : command === 'export' ? ['--format', 'tfjs', '--out', path.join(dir, 'x')] : ['--input', 'rows.jsonl'];
      const other = path.join(dir, 'other');
      const both = await cli(command, run, '--checkpoint', other, ...rest);
      assert.equal(both.code, 1, command);
      assert.deepEqual(both.err, [`error: --checkpoint was given 2 times ('${run}', '${other}'); it takes one value: give it once.`, `Run floe ${command} --help for usage.`], command);
    }
    // Only the first word counts: one after --prompt is not read as the checkpoint.
    const stray = await cli('generate', run, '--prompt', '1+1=', 'extra');
    assert.equal(stray.code, 1);
    assert.match(stray.err[0], /^error: Unexpected argument 'extra' for floe generate: each --prompt takes one value/);
    const missing = await cli('generate', '--prompt', 'a');
    assert.equal(missing.err[0], 'error: floe generate needs --checkpoint.');
  });
});
