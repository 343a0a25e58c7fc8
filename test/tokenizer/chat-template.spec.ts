import { strict as assert } from 'assert';
import { ByteTokenizer, ChatMessage, HfTokenizer, chatHeaderProblem, encodePrompt, fillSystemPrompt, renderChat } from '../../src/tokenizer';
import { tinyTokenizerJson } from './tiny-hf-tokenizer';

describe('renderChat', () => {
  const tok = new ByteTokenizer();
  const messages: ChatMessage[] = [
    { role: 'user', content: 'Hi?' },
    { role: 'assistant', content: 'Hello!' },
    { role: 'user', content: 'Bye?' },
    { role: 'assistant', content: 'Ciao' },
  ];

  it('renders the documented role format with bos and an end-of-turn after each message', () => {
    const { ids } = renderChat(tok, messages);
    assert.equal(ids[0], tok.bosId);
    const eots = ids.flatMap((id, i) => (id === tok.eosId ? [i] : []));
    assert.equal(eots.length, 4);
    const text = ids.map((id) => (id === tok.eosId ? '<eot>' : id === tok.bosId ? '<bos>' : String.fromCharCode(id))).join('');
    assert.equal(text, '<bos><|user|>\nHi?<eot><|assistant|>\nHello!<eot><|user|>\nBye?<eot><|assistant|>\nCiao<eot>');
  });

  it('marks only assistant content and the end-of-turn after it', () => {
    const { ids, assistantMask } = renderChat(tok, messages);
    assert.equal(ids.length, assistantMask.length);
    const marked = ids.filter((_, i) => assistantMask[i]);
    assert.deepEqual(marked, [...tok.encode('Hello!'), tok.eosId, ...tok.encode('Ciao'), tok.eosId]);
  });

  it('adds the system-prompt template with {date} only when the chat has no system message', () => {
    const withDefault = renderChat(tok, messages, { systemPrompt: 'Today is {date}.', date: new Date('2024-03-05T12:00:00Z') });
    assert.ok(tok.decode(withDefault.ids).startsWith('<|system|>\nToday is 2024-03-05.<|user|>'));
    const firstMarked = withDefault.assistantMask.indexOf(true);
    assert.ok(tok.decode(withDefault.ids.slice(0, firstMarked)).endsWith('Hi?<|assistant|>\n'));
    const own = renderChat(tok, [{ role: 'system', content: 'Be brief.' }, ...messages], { systemPrompt: 'ignored {date}' });
    assert.ok(!tok.decode(own.ids).includes('ignored'));
    assert.equal(fillSystemPrompt('{date}/{date}', '2020-01-01'), '2020-01-01/2020-01-01');
  });

  it('honours addBos: false, a custom end-of-turn id and a generation prompt', () => {
    const { ids, assistantMask } = renderChat(tok, [{ role: 'user', content: 'x' }], { addBos: false, endOfTurnId: 7, addGenerationPrompt: true });
    assert.notEqual(ids[0], tok.bosId);
    assert.ok(ids.includes(7));
    assert.ok(tok.decode(ids).endsWith('<|assistant|>\n'));
    assert.ok(assistantMask.every((m) => !m));
  });

  it('rejects an unknown role', () => {
    assert.throws(() => renderChat(tok, [{ role: 'bot' as 'user', content: 'x' }]), /expected \{ role: system \| user \| assistant/);
  });

  it('chatHeaderProblem: a tokenizer that turns role headers into <unk> or cannot encode them cannot write chats; byte and added-token headers can', () => {
    assert.equal(chatHeaderProblem(tok), undefined);
    const json = tinyTokenizerJson();
    const withUnk = HfTokenizer.fromJson(json);
    assert.match(chatHeaderProblem(withUnk) ?? '', /^the tokenizer cannot write chat turns: the role header '<\|system\|>' comes back as 'e', so turns would not say who speaks/);
    const noUnk = HfTokenizer.fromJson({ ...json, model: { ...(json.model as Record<string, unknown>), unk_token: null } });
    assert.match(chatHeaderProblem(noUnk) ?? '', /the role header '<\|system\|>' cannot be encoded/);
    const added = (json.added_tokens as Array<Record<string, unknown>>).concat(['<|system|>', '<|user|>', '<|assistant|>'].map((content, i) => ({ ...(json.added_tokens as Array<Record<string, unknown>>)[0], id: 22 + i, content })));
    assert.equal(chatHeaderProblem(HfTokenizer.fromJson({ ...json, added_tokens: added })), undefined);
    // A chat prompt for generation is refused the same way; plain prompts are fine.
    assert.throws(() => encodePrompt(withUnk, 'hello', { chat: {} }), /^DataError: cannot write the prompt as a chat turn: the tokenizer cannot write chat turns/);
    assert.deepEqual(encodePrompt(withUnk, 'hello'), [16]);
  });
});
