import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, Logger, runJob, validateRecipe } from '../../src';
import { RecordArraySource, prepareExamples } from '../../src/data';
import { DataRecord } from '../../src/data/data-record';
import { HfTokenizer, JinjaChatTemplate } from '../../src/tokenizer';
import { CHATML_TEMPLATE, tinyChatmlConfig, tinyChatmlTokenizerJson, writeTinyChatmlTokenizer } from '../tokenizer/tiny-chatml-tokenizer';

const chatLine = (user: string, assistant: string) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] });

describe('data.chatTemplate', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-chat-setting-'));
    fs.writeFileSync(path.join(dir, 'chats.jsonl'), `${[chatLine('hello?', 'hello world'), chatLine('world?', 'world hello')].join('\n')}\n`);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** recipe.yaml in `dir`: an sft run on chats.jsonl with `tokenizer` lines and `chatTemplate` (line 9 of the file). */
  function writeRecipe(tokenizer: string[], chatTemplate: string): string {
    const file = path.join(dir, 'recipe.yaml');
    const lines = [
      'type: sft',
      'backend: cpu',
      'trainIters: 1',
      'microBatchSize: 2',
      `outputDir: ${JSON.stringify(path.join(dir, 'run'))}`,
      'data:',
      '  type: sft',
      '  sources: [{ type: jsonl, paths: chats.jsonl, format: chat }]',
      `  chatTemplate: ${chatTemplate}`,
      '  maxLength: 64',
      '  cache: false',
      '  trainEvalSplit: [1, 0]',
      'model: { type: gpt, layers: 1, heads: 1, dim: 8, maxLength: 64 }',
      ...tokenizer,
      '',
    ];
    fs.writeFileSync(file, lines.join('\n'));
    return file;
  }
  const quiet = () => ({ logger: new Logger({ sink: () => undefined }) });
  const where = (file: string) => `${path.relative(process.cwd(), file)}:9:17`;

  it('tokenizer with the byte tokenizer is a recipe error at data.chatTemplate, located, saying why and what is allowed', async () => {
    const file = writeRecipe(['tokenizer: { type: byte }'], 'tokenizer');
    await assert.rejects(runJob(file, quiet()), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(
        e.message,
        `Invalid recipe: data.chatTemplate: 'tokenizer' takes the tokenizer's own chat template, and it has none: the 'byte' tokenizer has none (only an hf tokenizer reads one, from tokenizer_config.json) (${where(file)}). ` +
          "Allowed: floe (Floe's own chat format), tokenizer (the chat_template of the hf tokenizer's tokenizer_config.json, or its chat_template.jinja), or a Jinja template written out (text with {{ or {%).",
      );
      return true;
    });
  });

  it('tokenizer with an hf tokenizer whose tokenizer_config.json has no chat_template is a recipe error at data.chatTemplate', async () => {
    writeTinyChatmlTokenizer(path.join(dir, 'tok'), null);
    const file = writeRecipe(['tokenizer: { type: hf, path: tok }'], 'tokenizer');
    await assert.rejects(runJob(file, quiet()), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /^Invalid recipe: data\.chatTemplate: 'tokenizer' takes the tokenizer's own chat template, and it has none: its tokenizer_config\.json has no 'chat_template' .*and there is no chat_template\.jinja beside it \((.*)recipe\.yaml:9:17\)\. Allowed: floe /);
      return true;
    });
  });

  it('refuses a value that is neither floe, tokenizer nor a template, and an inline template that does not parse', async () => {
    await assert.rejects(validateRecipe(writeRecipe(['tokenizer: { type: byte }'], 'chatml')), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /data\.chatTemplate: must be floe \(Floe's own chat format\), tokenizer \(.*\), or a Jinja template written out \(text with \{\{ or \{%\), got "chatml" \((.*)recipe\.yaml:9:17\)/);
      return true;
    });
    // A typo of a keyword is named, after the location, as other settings' are.
    await assert.rejects(validateRecipe(writeRecipe(['tokenizer: { type: byte }'], 'tokenizr')), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /got "tokenizr" \((.*)recipe\.yaml:9:17\)\. Did you mean 'tokenizer'\?$/);
      return true;
    });
    await assert.rejects(validateRecipe(writeRecipe(['tokenizer: { type: byte }'], 'chatml')), (e: Error) => !/Did you mean/.test(e.message));
    const file = writeRecipe(['tokenizer: { type: byte }'], "'{% for m in %}x'");
    await assert.rejects(runJob(file, quiet()), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /^Invalid recipe: data\.chatTemplate: the chat template \(data\.chatTemplate\) is not a valid Jinja template: Unexpected token: .* \((.*)recipe\.yaml:9:17\)$/);
      return true;
    });
  });

  it("a run trains with the tokenizer's template", async () => {
    writeTinyChatmlTokenizer(path.join(dir, 'tok'));
    const file = writeRecipe(['tokenizer: { type: hf, path: tok }'], 'tokenizer');
    const result = await runJob(file, quiet());
    assert.equal(result.globalStep, 1);
  });

  describe('tokenized rows and their cache key', () => {
    const tok = HfTokenizer.fromJson(tinyChatmlTokenizerJson(), tinyChatmlConfig());
    const records: DataRecord[] = [{ kind: 'chat', messages: [{ role: 'user', content: 'hello?' }, { role: 'assistant', content: 'hello world' }], origin: { file: 'c.jsonl', line: 1 } }];
    const prepare = (template: JinjaChatTemplate | undefined, cacheDir?: string) =>
      prepareExamples({ sources: [new RecordArraySource(records, { id: 'x' })], tokenizer: tok, mode: 'sft', maxLength: 64, chat: { template }, cacheDir, dataConfig: { chatTemplate: 'tokenizer' } });

    it('labels only the reply and <|im_end|>', async () => {
      const { examples } = await prepare(tok.chatTemplate);
      const [row] = examples;
      const trained = [...row.labels].filter((_, t) => row.lossMask[t] === 1);
      assert.deepEqual(trained, [...tok.encode('hello world'), tok.tokenToId('<|im_end|>')]);
      assert.deepEqual([...row.inputIds, row.labels[row.labels.length - 1]], tok.encode('<|im_start|>user\nhello?<|im_end|>\n<|im_start|>assistant\nhello world<|im_end|>\n'));
    });

    it("changes with the template's text and variables, not with where it was read from; a template writing today's date keys on the date", async () => {
      const cacheDir = path.join(dir, 'cache');
      const base = tok.chatTemplate as JinjaChatTemplate;
      const first = await prepare(base, cacheDir);
      const again = await prepare({ ...base, source: 'chat_template of elsewhere/tokenizer_config.json' }, cacheDir);
      assert.equal(again.cacheKey, first.cacheKey);
      assert.equal(again.cacheHit, true);
      const edited = await prepare({ ...base, text: CHATML_TEMPLATE.replace("'\\n' }}{% endfor %}", "'\\n\\n' }}{% endfor %}") }, cacheDir);
      assert.notEqual(edited.cacheKey, first.cacheKey);
      assert.equal(edited.cacheHit, false);
      assert.notDeepEqual(edited.examples[0].inputIds, first.examples[0].inputIds);
      const otherEos = await prepare({ ...base, specialTokens: { eos_token: '<|endoftext|>' } }, cacheDir);
      assert.notEqual(otherEos.cacheKey, first.cacheKey);
      assert.notEqual((await prepare(undefined)).cacheKey, first.cacheKey);
      const dated = { ...base, text: `{{ strftime_now('%Y') }}${base.text}` };
      const key = async (date: string) =>
        (await prepareExamples({ sources: [new RecordArraySource(records, { id: 'x' })], tokenizer: tok, mode: 'sft', maxLength: 64, chat: { template: dated, date } })).cacheKey;
      assert.notEqual(await key('2024-01-01'), await key('2024-01-02'));
    });
  });
});
