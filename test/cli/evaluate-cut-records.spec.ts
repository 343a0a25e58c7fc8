import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { QUIET_RUN, runRecorded } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { cli } from '../support/cli-run';

const chat = (user: string, answer: string): string => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: answer }] });

describe('floe evaluate on records longer than maxLength', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-evaluate-cut-'));
    run = path.join(dir, 'run');
    await runRecorded({
      type: 'sft',
      backend: 'cpu',
      ...QUIET_RUN,
      trainIters: 2,
      microBatchSize: 4,
      outputDir: run,
      data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 40 }], maxLength: 32, evalGenerations: 0, cache: false },
      model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 32 },
      checkpoint: [{ type: 'floe' }],
    });
  });
  after(() => cleanup());

  it('counts the records evaluated, not those dropped, and says how many were cut or dropped (it reported every record read)', async () => {
    const test = path.join(dir, 'test.jsonl');
    // Two fit; one is cut with its answer started within 32 tokens; two have no answer within them: dropped.
    const long = 'x'.repeat(60);
    fs.writeFileSync(test, [chat('1+1?', '2'), chat('2+2?', '4'), chat('q', long), chat(long, 'a'), chat(long, 'b')].join('\n') + '\n');
    const json = await cli('evaluate', run, '--data', test, '--json');
    assert.equal(json.code, 0, json.err.join('\n'));
    const data = (JSON.parse(json.out[json.out.length - 1]) as { data: Record<string, unknown> }).data;
    assert.deepEqual({ records: data.records, dropped: data.dropped, cut: data.cut, maxLength: data.maxLength }, { records: 3, dropped: 2, cut: 3, maxLength: 32 });
    const text = await cli('evaluate', run, '--data', test);
    // The warning names the files: they are no eval split (it said 'data (eval split)').
    assert.ok(text.err.some((l) => l.startsWith(`warn: data (--data ${test}): 3 of 5 conversations were longer than maxLength 32 tokens`)), text.err.join('\n'));
    assert.match(text.out.join('\n'), / \(whole, no split: 3 of 5 records \(2 dropped: nothing to evaluate in their first 32 tokens; 3 cut to 32 tokens\), \d+ tokens before cutting\)$/m);
    // Records that fit are counted as before, with no note.
    fs.writeFileSync(test, [chat('1+1?', '2'), chat('2+2?', '4')].join('\n') + '\n');
    const fits = await cli('evaluate', run, '--data', test, '--json');
    assert.deepEqual(Object.keys((JSON.parse(fits.out[fits.out.length - 1]) as { data: object }).data), ['files', 'records', 'tokens']);
  });
});
