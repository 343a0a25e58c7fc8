import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataRecord, JsonlSource, JsonlSourceOptions } from '../../../src/data';
import { DataError } from '../../../src/errors';
import { Logger, runJob, validateRecipe } from '../../../src';

async function collect(source: AsyncIterable<DataRecord>): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of source) out.push(r);
  return out;
}

describe('JsonlSource', () => {
  let dir: string;
  const write = (name: string, lines: string[]): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, lines.join('\n'));
    return file;
  };
  const read = (name: string, lines: string[], options: Omit<JsonlSourceOptions, 'paths'> = {}) => collect(new JsonlSource({ paths: [write(name, lines)], ...options }));
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-jsonl-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads text and chat records (auto format), skipping blank lines, with line origins', async () => {
    const records = await read('auto.jsonl', [
      '{"text": "hello"}',
      '',
      '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}',
    ]);
    assert.equal(records.length, 2);
    assert.deepEqual(records[0], { kind: 'text', text: 'hello', origin: { file: path.join(dir, 'auto.jsonl'), line: 1 } });
    assert.equal(records[1].kind, 'chat');
    assert.equal(records[1].origin.line, 3);
  });

  it('recognises prompt-response and alpaca lines in the auto format, by their field pairs', async () => {
    const records = await read('auto-pairs.jsonl', [
      '{"prompt": "2+2=", "response": "4", "system": "be brief"}',
      '{"instruction": "Add", "input": "2 and 2", "output": "4"}',
      '{"prompt": "no answer"}',
    ], { skipInvalid: true });
    assert.equal(records.length, 2, 'a prompt without its response is not a record');
    assert.deepEqual(records[0], {
      kind: 'chat',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: '2+2=' },
        { role: 'assistant', content: '4' },
      ],
      origin: { file: path.join(dir, 'auto-pairs.jsonl'), line: 1 },
    });
    assert.deepEqual(records[1].kind === 'chat' && records[1].messages, [
      { role: 'user', content: 'Add\n\n2 and 2' },
      { role: 'assistant', content: '4' },
    ]);
  });

  it('fails on a malformed line with file:line:col', async () => {
    const file = path.join(dir, 'bad.jsonl');
    await assert.rejects(read('bad.jsonl', ['{"text": "ok"}', '{"text": "x" "y"}']), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.ok(e.message.startsWith(`${file}:2:14: malformed JSON line`), e.message);
      // The place is said once, as file:line:col, not again as V8's offset.
      assert.ok(!/position \d/.test(e.message), e.message);
      return true;
    });
  });

  it('reports every bad line of a pass at once, with how to skip them', async () => {
    const a = write('many-a.jsonl', ['{"text": "ok"}', 'not json', '{"text": 1}']);
    const b = write('many-b.jsonl', ['{"text": "fine"}', '[1]']);
    await assert.rejects(collect(new JsonlSource({ paths: [a, b] })), (e: Error) => {
      assert.ok(e instanceof DataError);
      const lines = e.message.split('\n');
      assert.equal(lines[0], '3 bad JSONL lines:');
      assert.ok(lines[1].startsWith(`  - ${a}:2:2: malformed JSON line`), lines[1]);
      assert.equal(lines[2], `  - ${a}:3:10: field 'text' expected a string, got number 1.`);
      assert.equal(lines[3], `  - ${b}:2: expected a JSON object, got an array.`);
      assert.match(lines[4], /^Fix the data, or set skipInvalid: true on the source/);
      return true;
    });
    const twelve = write('twelve.jsonl', Array.from({ length: 12 }, (_, i) => `{"text": ${i}}`));
    await assert.rejects(collect(new JsonlSource({ paths: [twelve] })), /^DataError: 12 bad JSONL lines \(the first 10\):\n  - .*twelve\.jsonl:1:10: /);
  });

  it('stops looking for more bad lines 100,000 lines after the first', async () => {
    const lines = ['{"text": 1}', ...Array.from({ length: 100_001 }, () => '{"text": "x"}'), '{"text": 2}'];
    const file = write('long.jsonl', lines);
    await assert.rejects(collect(new JsonlSource({ paths: [file] })), (e: Error) => {
      assert.match(e.message, /^1 or more bad JSONL lines:\n/);
      assert.ok(e.message.includes(`(looked 100,000 lines past the first bad one, up to ${file}:100002)`), e.message);
      return true;
    });
  });

  it('names file:line and the field when a record has the wrong shape', async () => {
    const file = path.join(dir, 'shape.jsonl');
    await assert.rejects(read('shape.jsonl', ['{"text": 5}'], { format: 'text' }), new RegExp(`^DataError: ${file}:1:10: field 'text' expected a string, got number 5`));
    await assert.rejects(
      read('shape.jsonl', ['{"body": "x"}']),
      /shape\.jsonl:1: expected a field 'text' \(text\) or 'messages' \(chat\), or the pair 'prompt' \+ 'response' \(prompt-response\) or 'instruction' \+ 'output' \(alpaca\); found fields 'body'/,
    );
    await assert.rejects(
      read('shape.jsonl', ['{"messages": [{"role": "bot", "content": "x"}]}'], { format: 'chat' }),
      /shape\.jsonl:1:24: field 'messages\[0\]\.role' expected one of system, user, assistant, got string "bot"\. Did you mean 'assistant'\?/,
    );
    // Other chat formats say how to write them.
    await assert.rejects(
      read('shape.jsonl', ['{"messages": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}']),
      /:1:15: field 'messages\[0\]\.role' expected one of system, user, assistant, got nothing \(field missing\)\. The messages look like ShareGPT \(\{ from, value \}\): write them as \{ role, content \} \(human → user, gpt → assistant\)\./,
    );
    await assert.rejects(
      read('shape.jsonl', ['{"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}']),
      /:1:\d+: field 'messages\[0\]\.content' expected a string, got an array \(a list of content parts is not read: join its text parts into one string\)\./,
    );
  });

  it("names the fields setting for a pair format's shape with other field names (TRL's prompt + completion; question + answer), also read as chat", async () => {
    const hint = async (lines: string[], options: Omit<JsonlSourceOptions, 'paths'> = {}): Promise<string> => {
      const error = await read('pair.jsonl', lines, options).then(
        () => assert.fail('read'),
        (e: Error) => e,
      );
      assert.ok(error instanceof DataError, String(error));
      // One bad line: the message is that line's, then what to do about bad lines.
      return error.message.replace(/^[\s\S]*?pair\.jsonl:1: /, '').replace(/ Fix the data[\s\S]*$/, '');
    };
    const found = (fields: string): string =>
      `expected a field 'text' (text) or 'messages' (chat), or the pair 'prompt' + 'response' (prompt-response) or 'instruction' + 'output' (alpaca); found fields ${fields}.`;
    assert.equal(await hint(['{"prompt": "q", "completion": "a"}']), `${found("'prompt', 'completion'")} For prompt-response, set fields: { response: completion } on the source.`);
    assert.equal(await hint(['{"question": "q", "answer": "a"}']), `${found("'question', 'answer'")} For prompt-response, set fields: { prompt: question, response: answer } on the source.`);
    assert.equal(await hint(['{"instruction": "q", "response": "a"}']), `${found("'instruction', 'response'")} For alpaca, set fields: { output: response } on the source.`);
    assert.equal(await hint(['{"prompt": "q", "reply": "a"}']), `${found("'prompt', 'reply'")} It has 'prompt' but no 'response': if the data names it differently, set fields: { response: <its name> } on the source.`);
    assert.equal(await hint(['{"body": "x"}']), `${found("'body'")} If the data names them differently, set fields: { ... } on the source.`);
    assert.equal(
      await hint(['{"prompt": "q", "completion": "a"}'], { format: 'chat' }),
      "field 'messages' expected a non-empty array of { role, content }, got nothing (field missing); found fields 'prompt', 'completion'. These are a pair format's fields: set format: auto on the source (it is chat). For prompt-response, set fields: { response: completion } on the source.",
    );
    // The hinted setting reads the file.
    const records = await read('pair.jsonl', ['{"prompt": "q", "completion": "a"}'], { fields: { response: 'completion' } });
    assert.deepEqual(records.map((r) => r.kind === 'chat' && r.messages.map((m) => m.content)), [['q', 'a']]);
  });

  it('refuses a lone surrogate escape (half an emoji) instead of training on U+FFFD, and keeps pairs', async () => {
    const file = path.join(dir, 'surrogate.jsonl');
    await assert.rejects(
      read('surrogate.jsonl', ['{"text": "ok \\ud83d\\ude00"}', '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "cut \\ud83d"}]}']),
      (e: Error) => e instanceof DataError && e.message.startsWith(`${file}:2:82: field 'messages[1].content' holds a lone surrogate \\ud83d at character 5, which is no character`),
    );
    await assert.rejects(read('surrogate.jsonl', ['{"text": "\\ude00 tail"}']), /:1:10: field 'text' holds a lone surrogate \\ude00 at character 1/);
    const [record] = await read('surrogate.jsonl', ['{"text": "ok \\ud83d\\ude00"}']);
    assert.deepEqual(record.kind === 'text' ? record.text : '', 'ok 😀');
  });

  it('a line that is not UTF-8 is one of the bad lines: listed with the others, or skipped and counted with skipInvalid', async () => {
    const file = path.join(dir, 'latin1.jsonl');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('{"text": "a"}\n{"text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n{bad\n{"text": "b"}\n')]));
    await assert.rejects(collect(new JsonlSource({ paths: [file] })), (e: Error) => {
      const lines = e.message.split('\n');
      assert.equal(lines[0], '2 bad JSONL lines:');
      assert.ok(lines[1].startsWith(`  - ${file}:2:14: not UTF-8 text (byte 0xE9)`), lines[1]);
      assert.ok(lines[2].startsWith(`  - ${file}:3:2: malformed JSON line`), lines[2]);
      return true;
    });
    const skipping = new JsonlSource({ paths: [file], skipInvalid: true });
    assert.deepEqual((await collect(skipping)).map((r) => (r.kind === 'text' ? r.text : '')), ['a', 'b']);
    assert.match(skipping.passNote() ?? '', /^skipped 2 bad lines \(skipInvalid: true\) and read 2 records; the first: .*latin1\.jsonl:2:14: not UTF-8 text/);
  });

  it('skips and counts invalid lines with skipInvalid', async () => {
    const source = new JsonlSource({ paths: [write('mixed.jsonl', ['{"text": "a"}', 'not json', '{"text": 1}', '[1]', '{"text": "b"}'])], skipInvalid: true });
    const records = await collect(source);
    assert.deepEqual(records.map((r) => (r.kind === 'text' ? r.text : '')), ['a', 'b']);
    assert.equal(source.stats.records, 2);
    assert.equal(source.stats.skipped, 3);
    assert.match(source.stats.skippedReasons[0], /mixed\.jsonl:2/);
    assert.match(source.passNote() ?? '', /^skipped 3 bad lines \(skipInvalid: true\) and read 2 records; the first: .*mixed\.jsonl:2/);
    const clean = new JsonlSource({ paths: [write('clean.jsonl', ['{"text": "a"}'])], skipInvalid: true });
    await collect(clean);
    assert.equal(clean.passNote(), undefined);
  });

  it('a run warns, naming the source, when skipInvalid skipped lines', async () => {
    const file = write('run.jsonl', ['{"text": "1+1=2"}', 'oops', ...Array.from({ length: 40 }, (_, i) => `{"text": "${i}+1=${i + 1}"}`)]);
    const lines: string[] = [];
    await runJob(
      {
        type: 'causal',
        backend: 'cpu',
        trainIters: 1,
        outputDir: path.join(dir, 'run'),
        checkpoint: [],
        tokenizer: { type: 'byte' },
        data: { type: 'causal', sources: [{ type: 'jsonl', paths: file, skipInvalid: true }], maxLength: 16, cache: false, trainEvalSplit: [1, 0] },
        model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 16 },
        scheduler: { type: 'constant' },
      },
      { logger: new Logger({ sink: (_level, line) => lines.push(line) }) },
    );
    assert.ok(lines.some((l) => l.startsWith(`warn: data.sources[0] (jsonl): skipped 1 bad line (skipInvalid: true) and read 41 records; the first: ${file}:2`)), lines.join('\n'));
  });

  it('maps prompt-response (custom field names) and alpaca records to chats', async () => {
    const [pr] = await read('pr.jsonl', ['{"question": "2+2?", "answer": "4", "system": "Be exact."}'], {
      format: 'prompt-response',
      fields: { prompt: 'question', response: 'answer' },
    });
    assert.deepEqual(pr.kind === 'chat' && pr.messages, [
      { role: 'system', content: 'Be exact.' },
      { role: 'user', content: '2+2?' },
      { role: 'assistant', content: '4' },
    ]);
    await assert.rejects(
      read('pr.jsonl', ['{"conversations": []}'], { format: 'chat' }),
      /pr\.jsonl:1: field 'messages' expected a non-empty array of \{ role, content \}, got nothing \(field missing\); found fields 'conversations'\. If the data names it differently, set fields: \{ messages: <its name> \} on the source\./,
    );
    // Without the renaming, the error lists the fields there and names the setting.
    await assert.rejects(
      read('pr.jsonl', ['{"question": "2+2?", "answer": "4"}'], { format: 'prompt-response' }),
      /pr\.jsonl:1: field 'prompt' expected a string, got nothing \(field missing\); found fields 'question', 'answer'\. If the data names it differently, set fields: \{ prompt: <its name> \} on the source\./,
    );
    const alpaca = await read(
      'alpaca.jsonl',
      ['{"instruction": "Translate", "input": "chat", "output": "cat"}', '{"instruction": "Say hi", "input": "", "output": "hi"}', '{"instruction": "Nod", "input": null, "output": "ok"}'],
      { format: 'alpaca' },
    );
    assert.deepEqual(alpaca.map((r) => r.kind === 'chat' && r.messages), [
      [{ role: 'user', content: 'Translate\n\nchat' }, { role: 'assistant', content: 'cat' }],
      [{ role: 'user', content: 'Say hi' }, { role: 'assistant', content: 'hi' }],
      [{ role: 'user', content: 'Nod' }, { role: 'assistant', content: 'ok' }],
    ]);
    await assert.rejects(read('alpaca-bad.jsonl', ['{"instruction": "x"}'], { format: 'alpaca' }), /alpaca-bad\.jsonl:1: field 'output' expected a string, got nothing/);
    // An optional field written as null is absent; a required one is not.
    const [nullSystem] = await read('pr-null.jsonl', ['{"prompt": "hi", "response": "yo", "system": null}'], { format: 'prompt-response' });
    assert.deepEqual(nullSystem.kind === 'chat' && nullSystem.messages.map((m) => m.role), ['user', 'assistant']);
    await assert.rejects(read('pr-null-bad.jsonl', ['{"prompt": null, "response": "yo"}'], { format: 'prompt-response' }), /pr-null-bad\.jsonl:1:12: field 'prompt' expected a string, got null/);
    await assert.rejects(read('empty-chat.jsonl', ['{"messages": []}'], { format: 'chat' }), /field 'messages' expected a non-empty array of \{ role, content \}, got an empty array/);
  });

  it('maps the text format with a custom field', async () => {
    const [r] = await read('custom.jsonl', ['{"content": "abc", "text": 3}'], { format: 'text', fields: { text: 'content' } });
    assert.equal(r.kind === 'text' && r.text, 'abc');
  });

  it('a field renamed to an empty name is a recipe error at that field', async () => {
    const recipe = { type: 'sft', data: { type: 'sft', sources: [{ type: 'jsonl', paths: 'd.jsonl', fields: { messages: '' } }] }, model: { type: 'gpt' } };
    await assert.rejects(validateRecipe(recipe), /data\.sources\[0\]\.fields\.messages: should not be empty, got ""/);
  });

  it('a .json document given as JSON Lines (pretty-printed or one array) says to write one object per line', async () => {
    const hint = '(the file looks like one JSON document, not JSON Lines: write one object per line, e.g. jq -c ".[]" data.json > data.jsonl)';
    await assert.rejects(read('pretty.jsonl', ['[', '  {"text": "a"}', ']']), (e: Error) => e.message.split('\n')[1].endsWith(`pretty.jsonl:1: malformed JSON line (expected one JSON object per line): Unexpected end of JSON input ${hint}`));
    await assert.rejects(read('array.jsonl', ['[{"text": "a"}, {"text": "b"}]']), (e: Error) => e.message.includes(`array.jsonl:1: expected a JSON object, got an array ${hint}.`));
    await assert.rejects(read('notes.txt', ['plain words', 'more']), (e: Error) => e.message.includes("notes.txt:1:1: malformed JSON line (expected one JSON object per line): Unexpected token 'p', \"plain words\" is not valid JSON (the file's name says .txt, not JSON Lines: for such a file use a text source)"));
    // Further lines say nothing of the kind.
    await assert.rejects(read('later.jsonl', ['{"text": "a"}', '[1]']), (e: Error) => !e.message.includes('JSON document'));
  });
});
