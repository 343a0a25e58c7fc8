import { strict as assert } from 'assert';
import { ByteTokenizer, DataError, HfTokenizer, addBosAutoNote, resolveAddBos } from '../../src';
import { tinyTokenizerJson } from './tiny-hf-tokenizer';
import { tinyLlamaTokenizerConfig, tinyLlamaTokenizerJson } from './tiny-llama-tokenizer';

/** The tiny Llama tokenizer with `add_bos_token` set to `flag` (undefined: left out) and `postProcessor` in tokenizer.json. */
function llama(flag: unknown, postProcessor?: unknown): HfTokenizer {
  const config: Record<string, unknown> = { ...tinyLlamaTokenizerConfig() };
  if (flag === undefined) delete config.add_bos_token;
  else config.add_bos_token = flag;
  const json = tinyLlamaTokenizerJson();
  if (postProcessor !== undefined) json.post_processor = postProcessor;
  return HfTokenizer.fromJson(json, config);
}

const template = (first: string) => ({
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: first, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
  pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { [first]: { id: first, ids: [first === '<s>' ? 1 : 2], tokens: [first] } },
});

describe('the bos rule of a tokenizer (Tokenizer.addsBos, data.addBos: auto)', () => {
  it("reads an hf tokenizer's add_bos_token from tokenizer_config.json first", () => {
    const on = llama(true);
    assert.deepEqual([on.addsBos, on.addsBosSource], [true, 'tokenizer_config.json add_bos_token']);
    // Written false wins over a post-processor that prepends <s> (transformers rebuilds the post-processor from it).
    const off = llama(false);
    assert.deepEqual([off.addsBos, off.addsBosSource], [false, 'tokenizer_config.json add_bos_token']);
  });

  it("without add_bos_token (or null), follows tokenizer.json's post_processor", () => {
    for (const flag of [undefined, null]) {
      const tok = llama(flag);
      assert.equal(tok.addsBos, true, `TemplateProcessing <s> $A (add_bos_token ${flag})`);
      assert.match(tok.addsBosSource, /tokenizer\.json post_processor \(TemplateProcessing puts '<s>' first\)/);
    }
    assert.equal(llama(undefined, { type: 'Sequence', processors: [{ type: 'ByteLevel', trim_offsets: false }, template('<s>')] }).addsBos, true, 'inside a Sequence');
    assert.equal(llama(undefined, template('</s>')).addsBos, false, 'a template that starts with another token');
    assert.equal(llama(undefined, { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }], pair: [], special_tokens: {} }).addsBos, false, 'eos after the text only');
    assert.equal(llama(undefined, null).addsBos, false, 'no post-processor');
  });

  it('is false for GPT-2-like tokenizers (no flag, no post-processor) and for the byte tokenizer', () => {
    assert.equal(HfTokenizer.fromJson(tinyTokenizerJson()).addsBos, false);
    assert.equal(new ByteTokenizer().addsBos, false);
  });

  it('never makes encode add bos, whatever the rule says (Floe adds it once, by data.addBos)', () => {
    for (const tok of [llama(true), llama(undefined)]) {
      assert.equal(tok.addsBos, true);
      assert.deepEqual(tok.encode('hello world'), [21, 26]);
    }
  });

  it('refuses an add_bos_token that is not a boolean, naming the field and what it takes', () => {
    assert.throws(() => llama('yes'), (e: Error) => e instanceof DataError && /tokenizer_config\.json: field 'add_bos_token' is "yes"; expected true, false or null/.test(e.message));
  });

  it('resolves data.addBos: auto by the rule, true and false as written, a missing setting as false', () => {
    const rows = [llama(true), llama(false), new ByteTokenizer()].map((tok) => ['auto', true, false, undefined].map((s) => resolveAddBos(s, tok)));
    assert.deepEqual(rows, [
      [true, true, false, false],
      [false, true, false, false],
      [false, true, false, false],
    ]);
    assert.equal(addBosAutoNote('auto', llama(true)), "data: addBos auto → true (tokenizer_config.json add_bos_token): every text record starts with bos, as the tokenizer's model was trained; set data.addBos: false to leave it out");
    assert.deepEqual([addBosAutoNote(true, llama(true)), addBosAutoNote('auto', llama(false))], [undefined, undefined]);
  });
});
