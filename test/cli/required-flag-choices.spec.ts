import { strict as assert } from 'assert';
import { cli } from '../support/cli-run';

describe('a missing required flag that has choices', () => {
  it('names the choices beside the flag, taken from the parser', async () => {
    const format = await cli('export', '--checkpoint', 'x', '--out', 'y');
    assert.equal(format.code, 1);
    assert.deepEqual(format.err, ['error: floe export needs --format (one of: safetensors, tfjs, hf).', 'Run floe export --help for usage.']);
  });

  it('lists it among the other missing flags, which keep their plain --name', async () => {
    const all = await cli('export');
    assert.equal(all.code, 1);
    assert.equal(all.err[0], 'error: floe export needs --checkpoint, --format (one of: safetensors, tfjs, hf) and --out.');
    const generate = await cli('generate');
    assert.equal(generate.err[0], 'error: floe generate needs --checkpoint and --prompt.');
  });
});
