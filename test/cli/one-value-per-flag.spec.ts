import { strict as assert } from 'assert';
import { cli } from '../support/cli-run';

/**
 * A repeatable flag (--prompt, --set, --code) takes one value each time it is given: yargs's
 * `array` alone swallowed every bare word after it, so `--prompt "1+1=" extra` ran two prompts.
 * --data keeps taking every word after it (a shell-expanded glob).
 */
describe('floe repeatable flags take one value each', () => {
  it('floe generate refuses a stray word after --prompt, naming it and how to give several prompts', async () => {
    // The checkpoint is never read: the command line is refused first.
    const run = await cli('generate', '--checkpoint', 'runs/none', '--prompt', '1+1=', 'extra');
    assert.equal(run.code, 1, run.out.join('\n'));
    assert.deepEqual(run.err, [
      "error: Unexpected argument 'extra' for floe generate: each --prompt takes one value ('extra' came after --prompt '1+1='). " +
        "Repeat the flag for several (--prompt '1+1=' --prompt 'extra'), or quote a value that has spaces (--prompt '1+1= extra').",
      'Run floe generate --help for usage.',
    ]);
  });

  it('floe generate takes repeated --prompt flags, and a flag after a prompt, as before', async () => {
    const run = await cli('generate', '--prompt', 'a', '--prompt', 'b c', '--checkpoint', '');
    // The handler ran (its own check of --checkpoint): both prompts and the later flag were parsed.
    assert.deepEqual(run.err, ['error: --checkpoint needs a value: a checkpoint folder, a folder of step-N checkpoints, or a run folder (its newest)', 'Run floe generate --help for usage.']);
  });

  it('a bare --prompt still says what value it needs', async () => {
    const run = await cli('generate', '--checkpoint', 'runs/none', '--prompt');
    assert.deepEqual(run.err, ['error: --prompt needs a value: the text to continue (repeat --prompt for more prompts)', 'Run floe generate --help for usage.']);
  });

  it('floe evaluate --data takes every word after it: a glob the shell expanded is several files', async () => {
    const run = await cli('evaluate', 'runs/none', '--data', 'a.jsonl', 'b.jsonl');
    assert.equal(run.code, 1);
    // Past the command line: the run folder is the first thing missing.
    assert.match(run.err[0], /^error: runs\/none does not exist/);
  });

  it('--set and --code name their stray words too, and --flag=value counts as the value', async () => {
    const set = await cli('train', 'r.yaml', '--set=a=1', 'b=2');
    assert.equal(
      set.err[0],
      "error: Unexpected argument 'b=2' for floe train: each --set takes one value ('b=2' came after --set 'a=1'). " +
        "Repeat the flag for several (--set 'a=1' --set 'b=2'), or quote a value that has spaces (--set 'a=1 b=2').",
    );
    const code = await cli('schema', '--code', './p.js', './q.js', 'more');
    assert.equal(
      code.err[0],
      "error: Unexpected arguments './q.js', 'more' for floe schema: each --code takes one value ('./q.js', 'more' came after --code './p.js'). " +
        "Repeat the flag for several (--code './p.js' --code './q.js' --code 'more'), or quote a value that has spaces (--code './p.js ./q.js more').",
    );
  });
});
