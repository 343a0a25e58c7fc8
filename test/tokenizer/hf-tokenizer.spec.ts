import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, DataError } from '../../src/errors';
import { Logger, runJob } from '../../src';
import { HfTokenizer } from '../../src/tokenizer';
import { tinyTokenizerJson } from './tiny-hf-tokenizer';

describe('HfTokenizer', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-hf-tok-'));
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads a local tokenizer.json and round-trips text', async () => {
    const tok = await HfTokenizer.load({ path: path.join(dir, 'tokenizer.json') });
    assert.deepEqual(tok.encode('hello world'), [16, 21]);
    assert.equal(tok.decode(tok.encode('hello world')), 'hello world');
    assert.equal(tok.decode(tok.encode('world hello hello')), 'world hello hello');
    assert.equal(tok.vocabSize, 22);
    assert.equal(tok.tokenToId('▁hello'), 16);
    assert.equal(tok.decode([]), '');
  });

  it('reads a tokenizer.json that starts with a byte-order mark', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'bom-'));
    fs.writeFileSync(path.join(sub, 'tokenizer.json'), `\uFEFF${JSON.stringify(tinyTokenizerJson())}`);
    assert.deepEqual((await HfTokenizer.load({ path: sub })).encode('hello world'), [16, 21]);
  });

  it('finds bos/eos/pad by convention, skips them in decode, and accepts a folder path', async () => {
    const tok = await HfTokenizer.load({ path: dir });
    assert.deepEqual([tok.bosId, tok.eosId, tok.padId], [1, 2, 3]);
    assert.equal(tok.decode([1, 16, 2, 3, 3]), 'hello');
  });

  it('takes special tokens from tokenizer_config.json, and options over config', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'cfg-'));
    fs.writeFileSync(path.join(sub, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    fs.writeFileSync(path.join(sub, 'tokenizer_config.json'), JSON.stringify({ eos_token: { content: '<pad>' }, pad_token: '<unk>' }));
    const fromConfig = await HfTokenizer.load({ path: sub });
    assert.deepEqual([fromConfig.eosId, fromConfig.padId], [3, 0]);
    const fromOptions = await HfTokenizer.load({ path: sub, eosToken: '</s>' });
    assert.equal(fromOptions.eosId, 2);
    assert.notEqual(fromConfig.fingerprint, fromOptions.fingerprint);
  });

  it('loads a WordLevel model and refuses words it has no id for (no unk token)', () => {
    const json = {
      added_tokens: [{ id: 2, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
      normalizer: null,
      pre_tokenizer: { type: 'WhitespaceSplit' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: { hello: 0, world: 1, '<|endoftext|>': 2 } },
    };
    const tok = HfTokenizer.fromJson(json, {}, {}, 'tiny/tokenizer.json');
    assert.deepEqual(tok.encode('hello world hello'), [0, 1, 0]);
    assert.equal(tok.decode([0, 2, 1]), 'hello world');
    assert.deepEqual([tok.bosId, tok.eosId, tok.padId], [2, 2, 2]);
    assert.throws(() => tok.encode('hello there'), (e: Error) => e instanceof DataError && /tiny\/tokenizer\.json: cannot encode piece 'there'/.test(e.message));
  });

  it('refuses text a BPE model without unk_token would drop, and keeps byte fallback and unk working', () => {
    const json = tinyTokenizerJson();
    const model = json.model as Record<string, unknown>;
    const noUnk = HfTokenizer.fromJson({ ...json, model: { ...model, unk_token: null } }, {}, {}, 'tiny/tokenizer.json');
    assert.deepEqual(noUnk.encode('hello world'), [16, 21]);
    // 'W' and 'x' are not in the vocabulary: the library would leave them out of the ids.
    assert.throws(() => noUnk.encode('hello World'), (e: Error) => e instanceof DataError && e.message.startsWith("tiny/tokenizer.json: cannot encode piece 'W': it is not in the vocabulary"));
    assert.deepEqual(noUnk.encode('hello'), [16], 'a refused text leaves nothing behind for the next one');
    // With an unk token the piece becomes <unk> (id 0), as before.
    assert.deepEqual(HfTokenizer.fromJson(json, {}, {}, 'tiny/tokenizer.json').encode('▁hello x'), [16, 4, 0]);
    // With byte fallback and byte tokens the piece is encoded byte by byte.
    const vocab = { ...(model.vocab as Record<string, number>), '<0x78>': 22 };
    const bytes = HfTokenizer.fromJson({ ...json, model: { ...model, unk_token: null, byte_fallback: true, vocab } }, {}, {}, 'tiny/tokenizer.json');
    assert.deepEqual(bytes.encode('hello x'), [16, 4, 22]);
    assert.throws(() => bytes.encode('hello y'), /cannot encode piece 'y'/);
  });

  it('refuses ids the library would take silently: unknown model type, bad or shared ids, added tokens that disagree, merges of unknown tokens', () => {
    const json = tinyTokenizerJson();
    const model = json.model as Record<string, unknown>;
    const vocab = model.vocab as Record<string, number>;
    const added = json.added_tokens as Array<Record<string, unknown>>;
    const refused = (variant: Record<string, unknown>, problem: string): void => {
      assert.throws(
        () => HfTokenizer.fromJson(variant, {}, {}, 't.json'),
        (e: Error) => e instanceof DataError && e.message === `t.json: not a usable HuggingFace tokenizer.json: ${problem}`,
      );
    };
    refused({ ...json, model: { ...model, type: 'Foo' } }, `"model.type" is 'Foo'; supported: BPE, WordPiece, Unigram, WordLevel`);
    refused({ ...json, model: { ...model, vocab: { ...vocab, x: 5 } } }, `"model.vocab" gives id 5 to 'x', but 'h' has it too; each id names one token`);
    refused({ ...json, model: { ...model, vocab: { ...vocab, e: 1.5 } } }, `"model.vocab" gives 'e' the id 1.5; ids are whole numbers from 0`);
    refused({ ...json, model: { ...model, vocab: { ...vocab, e: -1 } } }, `"model.vocab" gives 'e' the id -1; ids are whole numbers from 0`);
    // '</s>' on id 7 ('l'): eos would have been every 'l' of the text.
    refused({ ...json, added_tokens: added.map((t) => (t.content === '</s>' ? { ...t, id: 7 } : t)) }, `"added_tokens[2]" gives '</s>' the id 7, but "model.vocab" gives it 2; the two must agree`);
    refused({ ...json, added_tokens: [...added, { ...added[0], content: '<eot>', id: 7 }] }, `"added_tokens[4]" gives '<eot>' the id 7, which 'l' has already; each id names one token`);
    refused({ ...json, added_tokens: [...added, { content: '<eot>' }] }, `"added_tokens[4]" is {"content":"<eot>"}; an added token needs "content" (a string) and "id" (a whole number from 0)`);
    refused({ ...json, model: { ...model, merges: [...(model.merges as string[]), 'q z'] } }, `"model.merges[10]" ('q z') joins 'q', which is not in "model.vocab"`);
    refused({ ...json, model: { type: 'Unigram', vocab: [['a', -1], ['b']] } }, `"model.vocab[1]" is ["b"]; a Unigram vocab entry is [piece, score]`);
    // Gaps in the ids, new added tokens past the vocabulary and merges as pairs are fine.
    const fine = HfTokenizer.fromJson({ ...json, added_tokens: [...added, { ...added[0], content: '<eot>', id: 40 }], model: { ...model, vocab: { ...vocab, z: 30 }, merges: (model.merges as string[]).map((m) => m.split(' ')) } });
    assert.equal(fine.vocabSize, 41);
    assert.deepEqual(fine.encode('hello world'), [16, 21]);
  });

  it('says when the unk_token itself is not in the vocabulary', () => {
    const json = tinyTokenizerJson();
    const tok = HfTokenizer.fromJson({ ...json, model: { ...(json.model as Record<string, unknown>), unk_token: '<nope>' } }, {}, {}, 't.json');
    assert.throws(() => tok.encode('hello zq'), (e: Error) => e instanceof DataError && e.message.startsWith(`t.json: the text has a piece the vocabulary lacks, and "model.unk_token" ('<nope>')`));
  });

  it('a tokenizer_config.json special token that is neither a string nor { content } is an error, not skipped', () => {
    assert.throws(
      () => HfTokenizer.fromJson(tinyTokenizerJson(), { eos_token: 5 }, {}, 't.json'),
      (e: Error) => e instanceof DataError && e.message === `t.json: tokenizer_config.json field 'eos_token' is 5; expected the token as a string ("</s>") or an object with "content", or null.`,
    );
    assert.equal(HfTokenizer.fromJson(tinyTokenizerJson(), { eos_token: { content: '</s>' }, bos_token: null }).eosId, 2);
  });

  it('tokenizer.path naming vocab.txt, merges.txt, tokenizer_config.json or a SentencePiece model says what Floe reads instead', async () => {
    for (const [name, what] of [['vocab.txt', 'a WordPiece vocabulary'], ['merges.txt', 'BPE merges'], ['tokenizer_config.json', 'tokenizer settings (give it as tokenizer.configPath)'], ['spiece.model', 'a SentencePiece model']]) {
      fs.mkdirSync(path.join(dir, 'other'), { recursive: true });
      const file = path.join(dir, 'other', name);
      fs.writeFileSync(file, 'x');
      const recipe = { type: 'causal', backend: 'cpu', trainIters: 1, outputDir: path.join(dir, 'run'), tokenizer: { type: 'hf', path: file }, data: { type: 'causal', sources: [{ type: 'synthetic', count: 8 }], maxLength: 8 } };
      await assert.rejects(runJob(recipe, { logger: new Logger({ sink: () => undefined }) }), (e: Error) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.ok(e.message.startsWith(`Invalid recipe: tokenizer.path: ${file}: this file is ${what}, not a tokenizer.json. Floe reads the single-file tokenizer.json`), e.message);
        return true;
      });
    }
  });

  it('tokenizer.configPath may name a folder holding tokenizer_config.json; a folder without one or a missing path is an error there', async () => {
    const cfg = path.join(dir, 'cfg');
    fs.mkdirSync(path.join(cfg, 'empty'), { recursive: true });
    fs.writeFileSync(path.join(cfg, 'tokenizer_config.json'), JSON.stringify({ pad_token: '<unk>' }));
    const tokenizerOf = async (configPath: string): Promise<Error | number> => {
      const recipe = { type: 'causal', backend: 'cpu', trainIters: 1, outputDir: path.join(dir, 'run-cfg'), overwriteOutputDir: true, checkpoint: [], tokenizer: { type: 'hf', path: path.join(dir, 'tokenizer.json'), configPath }, data: { type: 'causal', sources: [{ type: 'synthetic', count: 8 }], maxLength: 8 }, model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 8 } };
      let padId = -1;
      try {
        await runJob(recipe, { logger: new Logger({ sink: () => undefined }), onTrainerReady: (t) => void (padId = t.tokenizer.padId) });
      } catch (e) {
        return e as Error;
      }
      return padId;
    };
    assert.equal(await tokenizerOf(cfg), 0);
    const empty = await tokenizerOf(path.join(cfg, 'empty'));
    assert.ok(empty instanceof ConfigError && empty.message.startsWith(`Invalid recipe: tokenizer.configPath: ${path.join(cfg, 'empty')}: the folder (${path.join(cfg, 'empty')}) has no tokenizer_config.json`), String(empty));
    const missing = await tokenizerOf(path.join(cfg, 'nope.json'));
    assert.ok(missing instanceof ConfigError && missing.message.includes('expected a tokenizer_config.json or a folder holding one'), String(missing));
  });

  it('rejects a missing file, invalid JSON, a non-tokenizer and an unknown special token with DataError', async () => {
    const missing = path.join(dir, 'nope.json');
    await assert.rejects(HfTokenizer.load({ path: missing }), (e: Error) => e instanceof DataError && e.message.includes(missing) && /tokenizer\.json/.test(e.message));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{\n  "model": {,\n}');
    await assert.rejects(HfTokenizer.load({ path: bad }), (e: Error) => e instanceof DataError && e.message.includes(`${bad}:2:13`) && /invalid JSON/.test(e.message));
    const empty = path.join(dir, 'empty.json');
    fs.writeFileSync(empty, '\n');
    await assert.rejects(HfTokenizer.load({ path: empty }), (e: Error) => e instanceof DataError && e.message === `${empty}: the file is empty (expected a HuggingFace tokenizer.json)`);
    const notTok = path.join(dir, 'not-tok.json');
    fs.writeFileSync(notTok, JSON.stringify({ hello: 1 }));
    await assert.rejects(HfTokenizer.load({ path: notTok }), (e: Error) => e instanceof DataError && e.message.includes(notTok) && /"model"/.test(e.message));
    // A typed model missing a field it needs says which, not the library's 'Cannot read properties of undefined'.
    const json = tinyTokenizerJson();
    const model = json.model as Record<string, unknown>;
    const without = (field: string, value?: unknown): Record<string, unknown> => ({ ...json, model: { ...model, [field]: value } });
    assert.throws(() => HfTokenizer.fromJson(without('merges'), {}, {}, 'bpe.json'), (e: Error) => e instanceof DataError && e.message === 'bpe.json: not a usable HuggingFace tokenizer.json: "model.merges" is missing; a BPE model needs its merges as an array');
    assert.throws(() => HfTokenizer.fromJson(without('vocab', []), {}, {}, 'bpe.json'), /"model\.vocab" is an array; a BPE model needs its vocab as an object/);
    assert.throws(() => HfTokenizer.fromJson({ ...json, model: { type: 'Unigram', vocab: {} } }, {}, {}, 'u.json'), /"model\.vocab" is an object; a Unigram model needs its vocab as an array/);
    assert.throws(() => HfTokenizer.fromJson({ ...json, model: null }, {}, {}, 'n.json'), /"model" is null; expected the tokenizer model object/);
    await assert.rejects(
      HfTokenizer.load({ path: dir, eosToken: '<|eot|>' }),
      (e: Error) => e instanceof DataError && /: the eosToken setting \(tokenizer\.eosToken in a recipe\) names token '<\|eot\|>'/.test(e.message),
    );
  });
});
