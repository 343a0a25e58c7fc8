import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ByteTokenizer, Logger, PairBatchIterator, preferenceExamples, readPreferenceJsonl, readPreferenceSource, runJob } from '../../src';
import { dpoRecipe } from './dpo-recipe';

const tok = new ByteTokenizer();
const ids = (s: string): number[] => Array.from(Buffer.from(s, 'utf8'));

describe('dpo data', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dpo-data-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains on response tokens only: a hand-tokenized string pair', () => {
    const { examples, stats } = preferenceExamples([{ prompt: '1+2=', chosen: '3', rejected: '45', origin: { file: 'f', line: 1 } }], { tokenizer: tok, maxLength: 32, addBos: true });
    assert.deepEqual(stats, { pairs: 1, truncated: 0, dropped: 0 });
    const [{ chosen, rejected }] = examples;
    // bos 1 + 2 = 3 eos: inputs drop the last id, labels the first.
    assert.deepEqual(Array.from(chosen.inputIds), [tok.bosId, ...ids('1+2='), ...ids('3')]);
    assert.deepEqual(Array.from(chosen.labels), [...ids('1+2='), ...ids('3'), tok.eosId]);
    // Predicting '1', '+', '2', '=' is the prompt: masked; '3' and eos count.
    assert.deepEqual(Array.from(chosen.lossMask), [0, 0, 0, 0, 1, 1]);
    assert.deepEqual(Array.from(rejected.labels), [...ids('1+2='), ...ids('45'), tok.eosId]);
    assert.deepEqual(Array.from(rejected.lossMask), [0, 0, 0, 0, 1, 1, 1]);
  });

  it('trains on the response only in chat form, not on assistant turns of the prompt', () => {
    const prompt = [
      { role: 'user' as const, content: 'a' },
      { role: 'assistant' as const, content: 'b' },
      { role: 'user' as const, content: 'c' },
    ];
    const { examples } = preferenceExamples([{ prompt, chosen: [{ role: 'assistant', content: 'yes' }], rejected: [{ role: 'assistant', content: 'no' }], origin: { file: 'f', line: 1 } }], { tokenizer: tok, maxLength: 256, addBos: false });
    const row = examples[0].chosen;
    const trained = Array.from(row.labels).filter((_, i) => row.lossMask[i] === 1);
    // 'yes' and its end of turn; the prompt's assistant 'b' is context here.
    assert.deepEqual(trained, [...ids('yes'), tok.eosId]);
    const rejected = examples[0].rejected;
    assert.deepEqual(Array.from(rejected.labels).filter((_, i) => rejected.lossMask[i] === 1), [...ids('no'), tok.eosId]);
    // Both rows start with the same prompt tokens.
    const shared = row.inputIds.length - 4;
    assert.deepEqual(Array.from(rejected.inputIds.subarray(0, shared)), Array.from(row.inputIds.subarray(0, shared)));
  });

  it('cuts responses at their end to fit maxLength and drops (counts) a pair whose prompt fills it', () => {
    const origin = { file: 'f', line: 1 };
    const { examples, stats } = preferenceExamples(
      [
        { prompt: 'ab', chosen: 'cdefgh', rejected: 'x', origin },
        { prompt: 'abcdefg', chosen: 'h', rejected: 'i', origin },
      ],
      { tokenizer: tok, maxLength: 5, addBos: false },
    );
    assert.deepEqual(stats, { pairs: 2, truncated: 1, dropped: 1 });
    assert.equal(examples.length, 1);
    assert.deepEqual(Array.from(examples[0].chosen.labels), ids('bcdef'));
    assert.deepEqual(Array.from(examples[0].chosen.lossMask), [0, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(examples[0].rejected.labels), [...ids('bx'), tok.eosId]);
  });

  it('batches B pairs as 2B rows, chosen rows first, weighing the batch by its pairs', () => {
    const records = ['1', '2', '3'].map((d, i) => ({ prompt: `${d}=`, chosen: d, rejected: `${d}${d}`, origin: { file: 'f', line: i + 1 } }));
    const { examples } = preferenceExamples(records, { tokenizer: tok, maxLength: 16, addBos: false });
    const before = tf.memory().numTensors;
    const batches = [...new PairBatchIterator({ examples, batchSize: 2, seed: 1, shuffle: false, padId: tok.padId }).batches(0)];
    assert.deepEqual(batches.map((b) => [b.numPairs, b.inputIds.shape[0]]), [[2, 4], [1, 2]]);
    const rows = batches[0].inputIds.arraySync();
    assert.deepEqual(rows[0].slice(0, 3), ids('1=1'));
    assert.deepEqual(rows[2].slice(0, 4), ids('1=11'));
    batches.forEach((b) => tf.dispose(b as unknown as tf.TensorContainer));
    assert.equal(tf.memory().numTensors, before);
  });

  it('reports every bad record with file:line(:col), the field and what it allows', async () => {
    const file = path.join(dir, 'pairs.jsonl');
    const lines = [
      JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b' }),
      JSON.stringify({ prompt: 'p', chosen: 'a' }),
      JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 7 }),
      JSON.stringify({ prompt: [{ role: 'user', content: 'p' }], chosen: [{ role: 'user', content: 'a' }], rejected: [{ role: 'assistant', content: 'b' }] }),
      '{"prompt": "p", "chosen": ',
      '',
      JSON.stringify({ prompt: [{ role: 'human', content: 'p' }], chosen: { role: 'assistant', content: 'a' }, rejected: { role: 'assistant', content: 'b' } }),
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    await assert.rejects(readPreferenceJsonl([file], { cwd: dir }), (e: Error) => {
      assert.match(e.message, /5 bad preference JSONL lines/);
      assert.match(e.message, /pairs\.jsonl:2: field 'rejected' is missing .*'prompt', 'chosen' and 'rejected'/);
      assert.match(e.message, /pairs\.jsonl:3:\d+: field 'rejected' is number 7 while 'prompt', 'chosen' are strings/);
      assert.match(e.message, /pairs\.jsonl:4:\d+: field 'chosen\[0\]\.role' is 'user'; a response holds assistant messages only/);
      assert.match(e.message, /pairs\.jsonl:5(:\d+)?: malformed JSON line/);
      assert.match(e.message, /pairs\.jsonl:7:\d+: field 'prompt\[0\]\.role' is the string "human"; allowed: system, user, assistant/);
      assert.match(e.message, /skipInvalid: true/);
      return true;
    });
    // skipInvalid keeps the good lines after the bad ones too, and says what it skipped.
    fs.appendFileSync(file, `${JSON.stringify({ prompt: 'q', chosen: 'c', rejected: 'd' })}\n`);
    const notes: string[] = [];
    const kept = await readPreferenceJsonl([file], { cwd: dir, skipInvalid: true, onSkipped: (n) => notes.push(n) });
    assert.deepEqual(kept.map((r) => r.prompt), ['p', 'q']);
    assert.equal(notes.length, 1);
    assert.match(notes[0], /^skipped 5 bad lines \(skipInvalid: true\) and read 2 pairs; the first: .*pairs\.jsonl:2: field 'rejected' is missing/);
  });

  it('says which recipe source to set skipInvalid on when a bad line is refused', async () => {
    fs.writeFileSync(path.join(dir, 'bad.jsonl'), `${JSON.stringify({ prompt: 'p', chosen: 'a' })}\n`);
    const source = { type: 'jsonl', paths: ['bad.jsonl'] } as unknown as Parameters<typeof readPreferenceSource>[0];
    await assert.rejects(readPreferenceSource(source, { path: 'data.sources[1]', cwd: dir, seed: 1 }), /Fix the data, or set skipInvalid: true on data\.sources\[1\] to skip bad lines\./);
  });

  it('warns about pairs whose chosen and rejected are the same, counting them and naming the first line', async () => {
    const pair = (chosen: string, rejected: string): string => JSON.stringify({ prompt: 'ab', chosen, rejected });
    fs.writeFileSync(path.join(dir, 'p.jsonl'), [pair('c', 'd'), pair('e', 'f'), pair('x', 'x'), pair('g', 'h'), pair('y', 'y'), pair('i', 'j'), pair('k', 'l'), pair('m', 'n')].join('\n'));
    const lines: string[] = [];
    const ok = await runJob(dpoRecipe({ outputDir: path.join(dir, 'a'), data: { sources: [{ type: 'jsonl', paths: ['p.jsonl'] }] } }), { baseDir: dir, logger: new Logger({ sink: (_level, line) => lines.push(line) }) });
    assert.equal(ok.status, 'finished');
    assert.deepEqual(lines.filter((l) => /same chosen and rejected/.test(l)), [
      `warn: data: 2 of 8 pairs have the same chosen and rejected response (the first at ${path.join(dir, 'p.jsonl')}:3): such a pair teaches nothing (its loss stays log 2 = 0.693, its gradient 0) and counts as wrong in rewards/accuracy. Fix or remove them`,
    ]);
  });

  it('reads a jsonl file in a run and refuses a source kind or task without preferences, at its recipe path', async () => {
    fs.writeFileSync(path.join(dir, 'p.jsonl'), `${JSON.stringify({ prompt: 'ab', chosen: 'c', rejected: 'd' })}\n`.repeat(8));
    const logger = new Logger({ sink: () => undefined });
    const ok = await runJob(dpoRecipe({ outputDir: path.join(dir, 'a'), data: { sources: [{ type: 'jsonl', paths: ['p.jsonl'] }] } }), { baseDir: dir, logger });
    assert.equal(ok.status, 'finished');
    await assert.rejects(
      runJob(dpoRecipe({ outputDir: path.join(dir, 'b'), data: { sources: [{ type: 'synthetic', task: 'addition' }] } }), { baseDir: dir, logger }),
      /data\.sources\[0\]\.task.*task 'addition' has one answer per prompt\. Supported here: addition-preference/s,
    );
    await assert.rejects(
      runJob(dpoRecipe({ outputDir: path.join(dir, 'c'), data: { sources: [{ type: 'text', paths: ['p.jsonl'] }] } }), { baseDir: dir, logger }),
      /data\.sources\[0\]\.type.*cannot read a 'text' source\. Supported: jsonl .* and synthetic/s,
    );
  });
});
