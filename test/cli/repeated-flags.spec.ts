import { strict as assert } from 'assert';
import { cli } from '../support/cli-run';

describe('floe CLI flags given twice', () => {
  it('refuses a one-value path flag given twice, naming both values, before any work (it crashed with exit 2)', async () => {
    const run = await cli('predict', '--checkpoint', 'runs/a', '--input', 'rows.jsonl', '--input', 'more.jsonl');
    assert.equal(run.code, 1, run.err.join('\n'));
    assert.deepEqual(run.err, [
      "error: --input was given 2 times ('rows.jsonl', 'more.jsonl'); it takes one value: give it once.",
      'Run floe predict --help for usage.',
    ]);
  });

  it('refuses a repeated choice or number flag rather than reading "tfjs,safetensors" or "3,4" as one value', async () => {
    const exported = await cli('export', '--checkpoint', 'runs/a', '--format', 'tfjs', '--format', 'safetensors', '--out', 'x');
    assert.equal(exported.code, 1);
    assert.equal(exported.err[0], "error: --format was given 2 times ('tfjs', 'safetensors'); it takes one value: give it once.");
    const generated = await cli('generate', '--checkpoint', 'runs/a', '--prompt', '1+1=', '--max-tokens', '3', '--max-tokens', '4');
    assert.equal(generated.code, 1);
    assert.equal(generated.err[0], "error: --max-tokens was given 2 times ('3', '4'); it takes one value: give it once.");
    const resumed = await cli('train', 'recipe.yaml', '--resume', 'runs/a', '--resume', 'runs/b');
    assert.equal(resumed.code, 1);
    assert.deepEqual(resumed.err, ["error: --resume was given 2 times ('runs/a', 'runs/b'); it takes one value: give it once.", 'Run floe train --help for usage.']);
  });

  it('still takes repeatable flags and booleans given twice', async () => {
    const run = await cli('validate', 'missing.yaml', '--set', 'epochs=2', '--set', 'epochs=3', '--verbose', '--verbose');
    assert.equal(run.code, 1);
    assert.match(run.err[0], /cannot read recipe missing\.yaml: file not found/);
  });
});
