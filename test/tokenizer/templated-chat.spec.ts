import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tokenizeRecord } from '../../src/data/tokenize-record';
import { ConfigError, DataError } from '../../src/errors';
import { resolveChatTemplate } from '../../src/data/chat-template-setting';
import { ChatMessage, HfTokenizer, JinjaChatTemplate, encodePrompt, renderChat, renderChatTemplateText, templateEndOfTurnId } from '../../src/tokenizer';
import { CHATML_TEMPLATE, tinyChatmlConfig, tinyChatmlTokenizerJson, writeTinyChatmlTokenizer } from './tiny-chatml-tokenizer';
import { tinyTokenizerJson } from './tiny-hf-tokenizer';

describe('chat templates (Jinja)', () => {
  const tok = HfTokenizer.fromJson(tinyChatmlTokenizerJson(), tinyChatmlConfig());
  const template = tok.chatTemplate as JinjaChatTemplate;
  const imEnd = tok.tokenToId('<|im_end|>') as number;
  const messages: ChatMessage[] = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hello?' },
    { role: 'assistant', content: 'hello world' },
    { role: 'user', content: 'bye?' },
    { role: 'assistant', content: 'bye' },
  ];

  it("reads the tokenizer's chat_template and special tokens from tokenizer_config.json", () => {
    assert.equal(template.text, CHATML_TEMPLATE);
    assert.match(template.source, /^chat_template of tokenizer_config\.json$/);
    assert.deepEqual(template.specialTokens, { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' });
    assert.equal(HfTokenizer.fromJson(tinyChatmlTokenizerJson(), tinyChatmlConfig(null)).chatTemplate, undefined);
  });

  it('renders a 3-turn chat as the template writes it', () => {
    const expected =
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello?<|im_end|>\n<|im_start|>assistant\nhello world<|im_end|>\n' +
      '<|im_start|>user\nbye?<|im_end|>\n<|im_start|>assistant\nbye<|im_end|>\n';
    assert.equal(renderChatTemplateText(template, messages, { addGenerationPrompt: false }), expected);
    assert.equal(renderChatTemplateText(template, messages.slice(0, 2), { addGenerationPrompt: true }), '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('trains exactly the assistant content and its <|im_end|>, not headers, prompts or the newline between turns', () => {
    const { ids, assistantMask } = renderChat(tok, messages, { template });
    const untrained = (text: string) => ({ ids: tok.encode(text), trained: false });
    const trained = (text: string) => ({ ids: [...tok.encode(text), imEnd], trained: true });
    const segments = [
      untrained('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello?<|im_end|>\n<|im_start|>assistant\n'),
      trained('hello world'),
      untrained('\n<|im_start|>user\nbye?<|im_end|>\n<|im_start|>assistant\n'),
      trained('bye'),
      untrained('\n'),
    ];
    assert.deepEqual(ids, segments.flatMap((s) => s.ids));
    assert.deepEqual(assistantMask, segments.flatMap((s) => s.ids.map(() => s.trained)));
    // No bos of Floe's own: the template writes every special token.
    assert.equal(ids[0], tok.tokenToId('<|im_start|>'));
  });

  it('adds the data system prompt as a system message before the template renders', () => {
    const { ids } = renderChat(tok, messages.slice(1, 3), { template, systemPrompt: 'On {date}.', date: '2024-03-05' });
    assert.ok(tok.decode(ids).startsWith('system\nOn 2024-03-05.\nuser\nhello?'), tok.decode(ids));
  });

  it('tokenizes the whole text and places the trained span by common prefixes when pieces tokenize differently alone', () => {
    // Metaspace with prepend_scheme always puts '▁' before every text encoded on its own, so the
    // pieces' ids joined differ from the whole text's.
    const meta = HfTokenizer.fromJson(tinyTokenizerJson());
    const t: JinjaChatTemplate = {
      text: "{% for m in messages %}{% if m.role == 'assistant' %} {% endif %}{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %} {% endif %}",
      source: 'test template',
      specialTokens: { eos_token: '</s>' },
    };
    const { ids, assistantMask } = renderChat(meta, [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'world' }], { template: t });
    assert.notDeepEqual([...meta.encode('hello</s> '), ...meta.encode('world</s>')], meta.encode('hello</s> world</s>'), 'the pieces alone tokenize differently');
    assert.deepEqual(ids, meta.encode('hello</s> world</s>'));
    assert.deepEqual(ids, [16, 2, 21, 2]);
    assert.deepEqual(assistantMask, [false, false, true, true]);
  });

  it('refuses a template that is not prefix-stable, naming it and the turn', () => {
    // Drops the content of earlier assistant turns, as templates that strip old reasoning do.
    const t: JinjaChatTemplate = {
      text: "{% for m in messages %}{% if m.role == 'assistant' and not loop.last %}[old]{% else %}{{ m.role }}: {{ m.content }};{% endif %}{% endfor %}",
      source: 'chat_template of x/tokenizer_config.json',
    };
    assert.throws(
      () => renderChat(tok, messages, { template: t }),
      (e: Error) => e instanceof DataError && /^the chat template \(chat_template of x\/tokenizer_config\.json\) is not prefix-stable at messages\[3\] \(user\): .*differ at character 31: "assistant: hello world;" before, "\[old\]user: bye\?;" now/.test(e.message),
    );
  });

  it("names the template, the Jinja error and the record's file:line when a record fails to render", () => {
    const t: JinjaChatTemplate = { text: "{% if messages[0].role != 'system' %}{{ raise_exception('a system message must come first') }}{% endif %}x", source: 'data.chatTemplate' };
    const record = { kind: 'chat' as const, messages: messages.slice(1), origin: { file: 'chats.jsonl', line: 7 } };
    assert.throws(
      () => tokenizeRecord(record, tok, { chat: { template: t } }),
      (e: Error) => e instanceof DataError && e.message === 'chats.jsonl:7: the chat template (data.chatTemplate) failed to render the conversation (messages[0] (user)): a system message must come first',
    );
    assert.throws(() => renderChat(tok, messages, { template: { text: '{% for m in %}', source: 'data.chatTemplate' } }), /^DataError: the chat template \(data\.chatTemplate\) is not a valid Jinja template: Unexpected token/);
  });

  it('writes a prompt as one user turn with the generation prompt, tokenized whole', () => {
    const ids = encodePrompt(tok, 'hello?', { chat: { template } });
    assert.deepEqual(ids, tok.encode('<|im_start|>user\nhello?<|im_end|>\n<|im_start|>assistant\n'));
  });

  it("finds the end-of-turn token the template writes after replies, when it is one token", () => {
    assert.equal(templateEndOfTurnId(tok, template), imEnd);
    const withText = (text: string): JinjaChatTemplate => ({ text, source: 'test', specialTokens: { eos_token: '<|endoftext|>' } });
    assert.equal(templateEndOfTurnId(tok, withText("{% for m in messages %}{{ m.content + eos_token + '\\n' }}{% endfor %}")), tok.tokenToId('<|endoftext|>'));
    assert.equal(templateEndOfTurnId(tok, withText('{% for m in messages %}{{ m.content }}{% endfor %}')), undefined, 'no marker');
    assert.equal(templateEndOfTurnId(tok, withText("{% for m in messages %}{{ m.content + ' END' }}{% endfor %}")), undefined, 'more than one token');
    assert.equal(templateEndOfTurnId(tok, withText("{{ raise_exception('no') }}")), undefined, 'the probe does not render');
  });

  describe('from files', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-chat-template-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('takes the template named default from a list, and chat_template.jinja when the config has none', async () => {
      writeTinyChatmlTokenizer(dir, null);
      const configFile = path.join(dir, 'tokenizer_config.json');
      assert.equal((await HfTokenizer.load({ path: dir })).chatTemplate, undefined);
      fs.mkdirSync(path.join(dir, 'chat_template.jinja'));
      await assert.rejects(HfTokenizer.load({ path: dir }), (e: Error) => e instanceof DataError && e.message.startsWith(`${path.join(dir, 'chat_template.jinja')}: cannot read file (expected a Jinja chat template): `));
      fs.rmdirSync(path.join(dir, 'chat_template.jinja'));
      fs.writeFileSync(path.join(dir, 'chat_template.jinja'), '{{ messages[0].content }}');
      const fromFile = (await HfTokenizer.load({ path: dir })).chatTemplate;
      assert.deepEqual([fromFile?.text, fromFile?.source], ['{{ messages[0].content }}', path.join(dir, 'chat_template.jinja')]);
      fs.writeFileSync(configFile, JSON.stringify({ ...tinyChatmlConfig(null), chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }] }));
      const named = (await HfTokenizer.load({ path: dir })).chatTemplate;
      assert.deepEqual([named?.text, named?.source], ['D', `chat_template of ${configFile} (the one named 'default')`]);
      fs.writeFileSync(configFile, JSON.stringify({ ...tinyChatmlConfig(null), chat_template: 42 }));
      await assert.rejects(HfTokenizer.load({ path: dir }), /tokenizer_config\.json: field 'chat_template' is 42; expected a Jinja template string or a list of \{ "name", "template" \} entries/);
    });

    it("falls back to chat_template.jinja when chat_template is null or a list without 'default', as HuggingFace does", async () => {
      writeTinyChatmlTokenizer(dir, null);
      const configFile = path.join(dir, 'tokenizer_config.json');
      const jinja = path.join(dir, 'chat_template.jinja');
      const writeConfig = (chatTemplate: unknown): void => fs.writeFileSync(configFile, JSON.stringify({ ...tinyChatmlConfig(null), chat_template: chatTemplate }));
      const loaded = async (): Promise<unknown[]> => {
        const t = (await HfTokenizer.load({ path: dir })).chatTemplate;
        return [t?.text, t?.source];
      };
      const unnamed = [{ name: 'tool_use', template: 'T' }, { name: 'rag', template: 'R' }];
      // Without the file: null is no template; a list without 'default' needs a choice Floe cannot make.
      writeConfig(null);
      assert.deepEqual(await loaded(), [undefined, undefined]);
      // A list without 'default' loads (HuggingFace too raises only in apply_chat_template); asking for it says why.
      writeConfig(unnamed);
      const listed = await HfTokenizer.load({ path: dir });
      assert.equal(listed.chatTemplate, undefined);
      assert.throws(
        () => resolveChatTemplate('tokenizer', listed, 'hf'),
        (e: Error) => {
          assert.ok(e instanceof ConfigError, String(e));
          assert.ok(
            e.message.includes(
              `data.chatTemplate: 'tokenizer' takes the tokenizer's own chat template, and it has none: ${configFile}: field 'chat_template' is a list of named templates ('tool_use', 'rag') without one named 'default', and there is no chat_template.jinja beside it; ` +
                `HuggingFace then needs the template chosen by name, which Floe does not take. Name the one to use 'default' in the list, or save it as chat_template.jinja beside ${configFile}.`,
            ),
            e.message,
          );
          return true;
        },
      );
      writeConfig([]);
      assert.match((await HfTokenizer.load({ path: dir })).chatTemplateMissing ?? '', /field 'chat_template' is an empty list of named templates, and there is no chat_template\.jinja/);
      writeConfig(null);
      assert.equal((await HfTokenizer.load({ path: dir })).chatTemplateMissing, undefined);
      // With the file: it is used for null, an empty list and a list without 'default'; a usable config template wins.
      fs.writeFileSync(jinja, '{{ messages[0].content }}');
      for (const value of [null, [], unnamed]) {
        writeConfig(value);
        assert.deepEqual(await loaded(), ['{{ messages[0].content }}', jinja], JSON.stringify(value));
      }
      writeConfig([...unnamed, { name: 'default', template: 'D' }]);
      assert.deepEqual(await loaded(), ['D', `chat_template of ${configFile} (the one named 'default')`]);
      writeConfig('S');
      assert.deepEqual(await loaded(), ['S', `chat_template of ${configFile}`]);
    });
  });
});
