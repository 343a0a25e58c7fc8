import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, Logger, runJob, validateRecipe } from '../../src';
import { splitNote } from '../../src/data/split-note';
import { tinyTokenizerJson } from '../tokenizer/tiny-hf-tokenizer';

const chat = (user: string, assistant?: string) =>
  JSON.stringify({ messages: [{ role: 'user', content: user }, ...(assistant === undefined ? [] : [{ role: 'assistant', content: assistant }])] });

describe('data warnings and errors of a run', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-data-warn-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, lines: string[]): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };

  let runs = 0;
  async function train(recipe: Record<string, unknown>): Promise<string[]> {
    const lines: string[] = [];
    await runJob(
      { backend: 'cpu', trainIters: 1, outputDir: path.join(dir, `run-${++runs}`), checkpoint: [], tokenizer: { type: 'byte' }, scheduler: { type: 'constant' }, ...recipe },
      { logger: new Logger({ sink: (_level, line) => lines.push(line) }) },
    );
    return lines;
  }

  const sft = (file: string, extra: Record<string, unknown> = {}) => ({
    type: 'sft',
    microBatchSize: 2,
    data: { type: 'sft', sources: [{ type: 'jsonl', paths: file, format: 'chat' }], maxLength: 64, cache: false, trainEvalSplit: [1, 0], ...extra },
    model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 64 },
  });

  it('SFT warns how many conversations were cut to maxLength or dropped with nothing to train on', async () => {
    const file = write('chat.jsonl', [...Array.from({ length: 6 }, (_, i) => chat(`q${i}`, `a${i}`)), chat('no answer'), chat('x'.repeat(200), 'late')]);
    const lines = await train(sft(file));
    const warning = lines.find((l) => l.startsWith('warn: data (train split): '));
    assert.equal(
      warning,
      'warn: data (train split): 1 of 8 conversations was longer than maxLength 64 tokens and was cut; 2 were dropped with no trained token left (no assistant reply, or none within the first 64 tokens). Raise data.maxLength (and model.maxLength) or shorten the data',
    );
  });

  it('an eval split whose conversations were all dropped warns that no evaluation runs; the run goes on', async () => {
    // The split is by content with seed 29: the long conversation is the held-out one.
    const rows = [...Array.from({ length: 19 }, (_, i) => chat(`q${i}`, `a${i}`)), chat('x'.repeat(200), 'late')];
    const lines = await train({ ...sft(write('evaldrop.jsonl', rows), { trainEvalSplit: [0.95, 0.05] }), seed: 29 });
    assert.ok(
      lines.includes('warn: data: the eval split has no rows left, so no evaluation runs: 1 of 1 conversation was longer than maxLength 64 tokens and was cut; 1 was dropped with no trained token left (no assistant reply, or none within the first 64 tokens). Raise data.maxLength (and model.maxLength) or shorten the data'),
      lines.join('\n'),
    );
  });

  it('SFT data with nothing to train on is a data error saying why, not an empty split', async () => {
    const file = write('none.jsonl', [chat('a'), chat('b'), chat('c')]);
    await assert.rejects(train(sft(file)), /data: the train split has no rows left: 3 of 3 conversations were dropped with no trained token left/);
  });

  it('warns when the eval split came out empty or far larger than trainEvalSplit asks', async () => {
    const one = write('one.txt', ['only line']);
    const causal = (paths: string, extra: Record<string, unknown>) => ({
      type: 'causal',
      data: { type: 'causal', sources: [{ type: 'text', paths, unit: 'line' }], maxLength: 8, cache: false, ...extra },
      model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 8 },
      microBatchSize: 1,
    });
    const lines = await train({ ...causal(one, {}), callbacks: [{ type: 'early-stopping' }] });
    assert.ok(lines.includes('warn: data: the eval split is empty: 1 record (identical records count once) is too few to hold any out with trainEvalSplit [0.95, 0.05], so no evaluation runs'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith("warn: early-stopping: there is no eval split (see data.trainEvalSplit), so 'eval/loss' is never measured")), lines.join('\n'));
    const two = write('two.txt', ['first line', 'second line']);
    const twoLines = await train(causal(two, {}));
    assert.ok(twoLines.some((l) => l.startsWith('warn: data: the eval split holds out 1 of 2 records (50%), more than trainEvalSplit [0.95, 0.05] asks')), twoLines.join('\n'));
    // Asked for no eval split: nothing to say.
    assert.ok(!(await train(causal(two, { trainEvalSplit: [1, 0] }))).some((l) => l.includes('eval split')));
  });

  it('says how many empty documents skipEmpty left out, and nothing when none were', async () => {
    const file = write('gaps.txt', ['first line', '', 'second line', '   ', 'third line']);
    const causalText = (extra: Record<string, unknown>) => ({
      type: 'causal',
      data: { type: 'causal', sources: [{ type: 'text', paths: file, unit: 'line', ...extra }], maxLength: 8, cache: false, trainEvalSplit: [1, 0] },
      model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 8 },
    });
    const lines = await train(causalText({}));
    assert.ok(lines.includes('data.sources[0] (text): skipped 2 empty or whitespace-only lines (skipEmpty: true) and read 3 documents'), lines.join('\n'));
    assert.ok(!(await train(causalText({ skipEmpty: false }))).some((l) => l.includes('skipped')));
  });

  it('chat data with a tokenizer that cannot write the role headers is a recipe error at tokenizer, before tokenizing', async () => {
    const file = write('chat.jsonl', [chat('hello', 'world'), chat('world', 'hello')]);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    await assert.rejects(train({ ...sft(file), tokenizer: { type: 'hf', path: dir } }), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /^Invalid recipe: tokenizer: the tokenizer cannot write chat turns: the role header '<\|system\|>' comes back as 'e'.*\(the data has chat records\)$/);
      return true;
    });
  });

  it('warns how many tokens became the unknown token, and where the first was', async () => {
    const file = write('words.txt', ['hello world', 'hello wörld', 'world hello']);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    const causalText = (paths: string) => ({
      type: 'causal',
      tokenizer: { type: 'hf', path: dir },
      data: { type: 'causal', sources: [{ type: 'text', paths, unit: 'line' }], maxLength: 8, cache: false, trainEvalSplit: [1, 0] },
      model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 8 },
    });
    const lines = await train(causalText(file));
    assert.ok(
      lines.includes(`warn: data (train split): 1 of 13 tokens (7.7%) are the tokenizer's unknown token (id 0): its vocabulary lacks some characters of the text, the first in ${file}:2. The model cannot learn or write them; use a tokenizer that covers the text (or byte fallback), or clean the text`),
      lines.join('\n'),
    );
    const clean = write('clean.txt', ['hello world', 'world hello']);
    assert.ok(!(await train(causalText(clean))).some((l) => l.includes('unknown token')));
  });

  it('says what remainder: drop left out, and refuses a train split it emptied', async () => {
    const causalDrop = (paths: string) => ({
      type: 'causal',
      data: { type: 'causal', sources: [{ type: 'text', paths }], maxLength: 8, cache: false, remainder: 'drop', trainEvalSplit: [1, 0] },
      model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 8 },
    });
    // 'abcdefghijkl\n' + eos: 14 tokens, one window of 9, then 6 left with 5 labels.
    const lines = await train(causalDrop(write('long.txt', ['abcdefghijkl'])));
    assert.ok(lines.includes('data (train split): remainder: drop left out the last 5 of 14 tokens (a window shorter than maxLength 8 + 1)'), lines.join('\n'));
    await assert.rejects(
      train(causalDrop(write('short.txt', ['abc']))),
      /^DataError: data: the train split has no rows: remainder: drop left out the last 4 of 5 tokens \(a window shorter than maxLength 8 \+ 1\)\. Set data\.remainder: keep, lower data\.maxLength, or add data$/,
    );
  });

  it('a train split smaller than one batch with dropLast: true is a recipe error at data.dropLast', async () => {
    const lines = write('three.txt', ['one', 'two', 'three']);
    const recipe = {
      type: 'causal',
      microBatchSize: 8,
      data: { type: 'causal', sources: [{ type: 'text', paths: lines, unit: 'line' }], maxLength: 8, cache: false, trainEvalSplit: [1, 0], dropLast: true },
      model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 8 },
    };
    await assert.rejects(train(recipe), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.message, 'Invalid recipe: data.dropLast: the train split has 2 rows, fewer than one batch (microBatchSize 8), and dropLast: true drops a partial batch, so nothing would train. Set dropLast: false, lower microBatchSize, or add data');
      return true;
    });
  });

  it('a text source reading a .jsonl file warns that its JSON syntax is trained on', async () => {
    const file = write('chat.jsonl', [chat('hello', 'world'), chat('more', 'text')]);
    const causal = { type: 'causal', data: { type: 'causal', sources: [{ type: 'text', paths: file, unit: 'line' }], maxLength: 8, cache: false, trainEvalSplit: [1, 0] }, model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 8 } };
    const lines = await train(causal);
    assert.ok(lines.includes('warn: data.sources[0] (text): chat.jsonl read as plain text, JSON or CSV syntax and all: for their records use type: jsonl (or a tabular csv source); to train on the raw text, name the files by a text ending'), lines.join('\n'));
  });

  it('the note on a split: none when it is as asked', () => {
    assert.equal(splitNote([0.9, 0.1], { items: 100, eval: 10, noun: 'rows' }), undefined);
    assert.equal(splitNote([0.9, 0.1], { items: 5, eval: 1, noun: 'rows' }), undefined, '20% for 10% asked is within 2x');
    assert.equal(splitNote([1, 0], { items: 1, eval: 0, noun: 'rows' }), undefined);
    assert.match(splitNote([0.5, 0.5], { items: 1, eval: 0, noun: 'rows' }) ?? '', /eval split is empty: 1 row is too few/);
  });

  it('validation refuses a trainEvalSplit with no train share', async () => {
    for (const split of [[0, 1], [0, 0]]) {
      const recipe = { type: 'causal', data: { type: 'causal', sources: [{ type: 'synthetic', task: 'addition' }], trainEvalSplit: split }, model: { type: 'gpt' } };
      await assert.rejects(validateRecipe(recipe), /data\.trainEvalSplit: must be \[train, eval\] with a train share above 0/);
    }
  });

  it('an empty text file names the source and its paths', async () => {
    const empty = write('empty.txt', ['', '  ']);
    await assert.rejects(
      train({ type: 'causal', data: { type: 'causal', sources: [{ type: 'text', paths: empty }], maxLength: 8, cache: false }, model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 8 } }),
      new RegExp(`data.sources gave no records: data.sources\\[0\\] \\(text: ${empty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\. Check that the files have content`),
    );
  });

  it('a data path that gives no files is a recipe error at its paths entry, with the recipe file:line:col', async () => {
    write('a.txt', ['some text']);
    fs.mkdirSync(path.join(dir, 'empty'));
    const recipe = path.join(dir, 'recipe.yaml');
    const body = (paths: string, source = 'text') =>
      [
        'type: causal',
        'backend: cpu',
        'trainIters: 1',
        `outputDir: ${JSON.stringify(path.join(dir, `run-${++runs}`))}`,
        'data:',
        '  type: causal',
        '  maxLength: 8',
        '  cache: false',
        '  sources:',
        `    - type: ${source}`,
        `      paths: ${paths}`,
        'model: { type: gpt, layers: 1, heads: 1, dim: 8, maxLength: 8 }',
        '',
      ].join('\n');
    const expect = async (paths: string, message: string, source?: string): Promise<void> => {
      fs.writeFileSync(recipe, body(paths, source));
      await assert.rejects(runJob(recipe, { logger: new Logger({ sink: () => undefined }) }), (e: Error) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.equal(e.message, `Invalid recipe: ${message}`);
        return true;
      });
    };
    const at = path.relative(process.cwd(), recipe);
    await expect('[a.txt, nope.txt]', `data.sources[0].paths[1]: nope.txt: data file not found (resolved to ${path.join(dir, 'nope.txt')}); expected a file, a folder or a glob pattern (${at}:11:22)`);
    await expect('"*.md"', `data.sources[0].paths[0]: *.md: pattern matched no files (resolved to ${path.join(dir, '*.md')}; expected at least one file) (${at}:11:14)`);
    await expect('empty', `data.sources[0].paths[0]: empty: the folder has no files (resolved to ${path.join(dir, 'empty')}; expected at least one file) (${at}:11:14)`);
    fs.mkdirSync(path.join(dir, 'docs'));
    write('docs/README.md', ['# data']);
    await expect('docs', `data.sources[0].paths[0]: docs: the folder has no .jsonl or .ndjson files (it has README.md); name the files, or use a glob such as docs/**/* to read every file (${at}:11:14)`, 'jsonl');
  });
});
