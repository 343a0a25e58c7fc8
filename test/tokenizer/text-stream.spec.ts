import { strict as assert } from 'assert';
import { Rng } from '../../src/random';
import { ByteTokenizer, HfTokenizer, TextStream, Tokenizer } from '../../src/tokenizer';
import { byteChars } from './tiny-chatml-tokenizer';
import { tinyTokenizerJson } from './tiny-hf-tokenizer';

/** Feeds `ids` one at a time; the increments (flush last) and the decode of every id. */
function streamed(tokenizer: Tokenizer, ids: readonly number[]): { pieces: string[]; joined: string; decoded: string } {
  const stream = new TextStream(tokenizer);
  const pieces = ids.map((id) => stream.push(id));
  pieces.push(stream.flush());
  return { pieces, joined: pieces.join(''), decoded: tokenizer.decode(ids) };
}

function assertExact(tokenizer: Tokenizer, ids: readonly number[], label: string): string[] {
  const { pieces, joined, decoded } = streamed(tokenizer, ids);
  assert.equal(joined, decoded, `${label}: ids ${JSON.stringify(ids)}, pieces ${JSON.stringify(pieces)}`);
  return pieces;
}

const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/** A GPT-2 style byte-level BPE: the 256 byte tokens, a few merges, <|endoftext|>; decode cleans up spaces (the library's default). */
function byteLevelTokenizer(config: Record<string, unknown> = {}): HfTokenizer {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = i));
  const merges = ['Ġ t', 'h e', 'Ġt he', 'Ġ n', "' t", "' s", 'Ã ©', 'ä ¸'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = Object.keys(vocab).length;
  return HfTokenizer.fromJson({
    version: '1.0',
    added_tokens: [added(vocab['<|endoftext|>'], '<|endoftext|>')],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  }, config);
}

/** A Llama/SentencePiece style BPE with byte fallback (<0x00>..<0xFF>) and Llama's decoder chain. */
function byteFallbackTokenizer(config: Record<string, unknown> = {}): HfTokenizer {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  for (const piece of ['▁', 'a', 'b', 'é', '▁a', '▁b', '.', "'", 's']) vocab[piece] = Object.keys(vocab).length;
  return HfTokenizer.fromJson({
    version: '1.0',
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: ['▁ a', '▁ b'] },
  }, config);
}

/** A BERT style WordPiece with ## continuations and the WordPiece decoder's clean-up. */
function wordPieceTokenizer(config: Record<string, unknown> = {}): HfTokenizer {
  const vocab: Record<string, number> = {};
  for (const piece of ['[UNK]', '[CLS]', '[SEP]', '[PAD]', 'do', 'n', "'", 't', '##n', "##'", '##t', '.', ',', 's', '##s', 'it']) vocab[piece] = Object.keys(vocab).length;
  return HfTokenizer.fromJson({
    version: '1.0',
    added_tokens: [added(0, '[UNK]'), added(1, '[CLS]'), added(2, '[SEP]'), added(3, '[PAD]')],
    normalizer: null,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  }, config);
}

/** A T5/ALBERT style SentencePiece Unigram model (scored pieces, Metaspace), with contraction and punctuation pieces. */
function unigramTokenizer(config: Record<string, unknown> = {}): HfTokenizer {
  const pieces = ['▁', '▁a', '▁b', 'a', 'b', '.', "'", 's', 't', 'n', "n't", '▁n', '▁.', ',', "▁'", '▁do', 'é', '日'];
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
  return HfTokenizer.fromJson({
    version: '1.0',
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer: null,
    pre_tokenizer: metaspace,
    post_processor: null,
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 0, byte_fallback: false, vocab: [['<unk>', 0], ['<s>', 0], ['</s>', 0], ...pieces.map((p, i) => [p, -1 - i / 10])] },
  }, config);
}

/** Every tokenizer kind of the repo, with the HF decode's clean-up on (the library's default) and off. */
function everyKind(): Array<{ label: string; tok: Tokenizer }> {
  const hf: Array<[string, (config: Record<string, unknown>) => HfTokenizer]> = [
    ['metaspace BPE', (config) => HfTokenizer.fromJson(tinyTokenizerJson(), config)],
    ['byte-level BPE', byteLevelTokenizer],
    ['byte-fallback BPE', byteFallbackTokenizer],
    ['WordPiece', wordPieceTokenizer],
    ['Unigram', unigramTokenizer],
  ];
  return [
    { label: 'byte', tok: new ByteTokenizer() },
    ...hf.flatMap(([label, make]) => [
      { label: `${label} (clean-up)`, tok: make({}) },
      { label: `${label} (no clean-up)`, tok: make({ clean_up_tokenization_spaces: false }) },
    ]),
  ];
}

/** Random ids of `tok`: mostly ids of text rich in spaces, quotes, punctuation and multi-byte characters, some any id at all. */
function randomIds(tok: Tokenizer, rng: Rng): number[] {
  if (rng.int(4) === 0) return Array.from({ length: rng.intBetween(1, 16) }, () => rng.int(tok.vocabSize + 2));
  const chars = [' ', ' ', '.', ',', '!', "'", "'", 'n', 't', 's', 'v', 'e', 'r', 'a', 'b', 'é', '日', '😀'];
  let text = '';
  for (let i = rng.intBetween(1, 14); i > 0; i--) text += chars[rng.int(chars.length)];
  const ids = tok.encode(text);
  if (rng.int(3) === 0) ids.push(tok.encode('😀')[0]);
  if (rng.int(5) === 0) ids.splice(rng.int(ids.length + 1), 0, tok.eosId);
  return ids;
}

/**
 * Streams 200 random id sequences of `tok` id by id; after each id whose decode extends what went
 * out (one that does not waits, as it must), calls `visit` with what is held back, the decode so
 * far and its ids.
 */
function forEachHeldBack(tok: Tokenizer, rng: Rng, visit: (held: string, decoded: string, ids: number[]) => void): void {
  for (let trial = 0; trial < 200; trial++) {
    const ids = randomIds(tok, rng);
    const stream = new TextStream(tok);
    for (const [i, id] of ids.entries()) {
      stream.push(id);
      const decoded = tok.decode(ids.slice(0, i + 1));
      if (decoded.startsWith(stream.text)) visit(decoded.slice(stream.text.length), decoded, ids.slice(0, i + 1));
    }
  }
}

const MULTI_BYTE = 'Crème brûlée, naïve café — 日本語のテキスト 😀👩‍👩‍👧 done.\nZweite Zeile: äöü ß ½ 🇫🇷!';

describe('TextStream', () => {
  it('streams byte-tokenizer ids of multi-byte text (accents, CJK, emoji) exactly, each character once it is complete', () => {
    const tok = new ByteTokenizer();
    const ids = tok.encode(MULTI_BYTE);
    const pieces = assertExact(tok, ids, 'byte');
    assert.ok(pieces.every((p) => !p.includes('\uFFFD')), 'no half character is ever printed');
    // Decoding id by id would print replacement characters for every multi-byte character.
    assert.notEqual(ids.map((id) => tok.decode([id])).join(''), MULTI_BYTE);
    // Text appears as it comes: a character after a non-space is out as soon as its last byte is.
    const stream = new TextStream(tok);
    let at = 0;
    for (const ch of Array.from('日本語😀é')) {
      for (const id of tok.encode(ch)) stream.push(id);
      at += ch.length;
      assert.equal(stream.text, '日本語😀é'.slice(0, at));
    }
    assert.ok(pieces.filter((p) => p !== '').length > 40, `${pieces.filter((p) => p !== '').length} non-empty increments`);
  });

  it('streams any byte-tokenizer ids exactly: invalid and cut-off UTF-8, specials, out-of-range ids', () => {
    const tok = new ByteTokenizer();
    const rng = new Rng(7);
    const bytes = [0x20, 0x2e, 0x27, 0x6e, 0x74, 0x61, 0xc3, 0xa9, 0xe6, 0x97, 0xa5, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80, 0xef, 0xbb, 0xbf, 0xbd];
    for (let trial = 0; trial < 300; trial++) {
      const ids = Array.from({ length: rng.intBetween(1, 30) }, () => (rng.int(10) === 0 ? rng.intBetween(256, 259) : bytes[rng.int(bytes.length)]));
      assertExact(tok, ids, `trial ${trial}`);
    }
    // A character split as the decoder last saw it: U+FFFD at the end is held back, then replaced.
    const stream = new TextStream(tok);
    assert.deepEqual([0xe6, 0x97, 0xa5].map((id) => stream.push(id)), ['', '', '日']);
    // Only the last U+FFFD can still become a character: bad bytes before it go out (an untrained model's output streams too).
    const bad = new TextStream(tok);
    assert.deepEqual([0x80, 0xff, 0xe6, 0x41].map((id) => bad.push(id)), ['', '\uFFFD', '\uFFFD', '\uFFFDA']);
    assert.equal(bad.flush(), '');
  });

  it('streams the Metaspace BPE fixture exactly, though decode drops the first leading space and the specials', () => {
    const tok = HfTokenizer.fromJson(tinyTokenizerJson());
    const ids = tok.encode('hello world hello wor ld');
    const pieces = assertExact(tok, ids, 'metaspace');
    assert.equal(pieces.join(''), 'hello world hello wor ld');
    // Token by token each word loses its space.
    assert.equal(ids.map((id) => tok.decode([id])).join(''), 'helloworldhelloworld');
    const rng = new Rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const ids = Array.from({ length: rng.intBetween(1, 16) }, () => rng.int(tok.vocabSize + 2));
      assertExact(tok, ids, `trial ${trial}`);
    }
  });

  it('streams byte-level BPE ids exactly: characters split across tokens, and the clean-up that drops the space before punctuation', () => {
    const tok = byteLevelTokenizer();
    assertExact(tok, tok.encode(MULTI_BYTE), 'byte-level text');
    assertExact(tok, tok.encode("the dog don't do n't it 's ok . , ! ? I 'm we 've you 're x ' y"), 'clean-up text');
    // " n" printed once the "'" comes would be wrong: "do n't" decodes to "don't".
    const pieces = assertExact(tok, tok.encode("do n't"), 'split contraction');
    assert.equal(pieces.join(''), "don't");
    // The clean-up's rules interact: " ' " becomes "'" (so "n ' t" is "n't" and loses its space),
    // unless " ." took the space after the quote first.
    for (const text of ["x ' .", "x ' t", "a  ' s", "do n ' t", 'do n  \' t', "it ' s ok ' ,"]) assertExact(tok, tok.encode(text), JSON.stringify(text));
    const chars = [' ', ' ', '.', ',', '!', '?', "'", "'", 'n', 't', 's', 'm', 'v', 'e', 'r', 'é', '日', '😀'];
    const rng = new Rng(11);
    for (let trial = 0; trial < 3000; trial++) {
      let text = '';
      for (let i = rng.intBetween(1, 14); i > 0; i--) text += chars[rng.int(chars.length)];
      const ids = tok.encode(text);
      // Cut a multi-byte character off at the end too, and put in the special token.
      if (trial % 3 === 0) ids.push(tok.encode('😀')[0]);
      if (trial % 5 === 0) ids.splice(rng.int(ids.length + 1), 0, tok.eosId);
      assertExact(tok, ids, `trial ${trial} (${JSON.stringify(text)})`);
    }
  });

  it('streams byte-fallback (SentencePiece style) and WordPiece ids exactly', () => {
    const fallback = byteFallbackTokenizer();
    const text = 'a b é 日本 😀 ab. a\'s b';
    const ids = fallback.encode(text);
    assert.ok(ids.some((id) => id >= 3 && id < 259), 'the fixture encodes some characters as bytes');
    assertExact(fallback, ids, 'byte fallback');
    const wordPiece = wordPieceTokenizer();
    assertExact(wordPiece, wordPiece.encode("do n't it's it , s ."), 'word piece');
    const rng = new Rng(5);
    for (let trial = 0; trial < 300; trial++) {
      const n = rng.intBetween(1, 14);
      assertExact(fallback, Array.from({ length: n }, () => rng.int(fallback.vocabSize)), `fallback trial ${trial}`);
      assertExact(wordPiece, Array.from({ length: n }, () => rng.int(wordPiece.vocabSize)), `word piece trial ${trial}`);
    }
  });

  it('with a context (the prompt), streams what the ids add to its text: a Metaspace continuation keeps its first space', () => {
    const tok = HfTokenizer.fromJson(tinyTokenizerJson());
    const prompt = tok.encode('hello');
    const all = tok.encode('hello world hello');
    assert.deepEqual(all.slice(0, prompt.length), prompt);
    const rest = all.slice(prompt.length);
    const inContext = new TextStream(tok, { context: prompt });
    const pieces = rest.map((id) => inContext.push(id));
    pieces.push(inContext.flush());
    assert.equal(pieces.join(''), ' world hello');
    assert.equal(`hello${pieces.join('')}`, tok.decode(all));
    // Alone, the continuation's first word loses its space.
    assert.equal(assertExact(tok, rest, 'alone').join(''), 'world hello');
    // A tokenizer whose decode concatenates (bytes) gives the same text with or without the context.
    const bytes = new ByteTokenizer();
    const withBytes = new TextStream(bytes, { context: bytes.encode('caf') });
    const cont = bytes.encode('é au lait');
    assert.equal(cont.map((id) => withBytes.push(id)).join('') + withBytes.flush(), 'é au lait');
  });

  it('streams random ids of every tokenizer kind exactly, with and without the clean-up', () => {
    const rng = new Rng(23);
    for (const { label, tok } of everyKind()) {
      for (let trial = 0; trial < 300; trial++) {
        const ids = randomIds(tok, rng);
        assertExact(tok, ids, `${label} trial ${trial}`);
        // As the continuation of a prompt too.
        const cut = rng.int(ids.length);
        const stream = new TextStream(tok, { context: ids.slice(0, cut) });
        const rest = ids.slice(cut).map((id) => stream.push(id)).join('') + stream.flush();
        const whole = tok.decode(ids);
        const head = tok.decode(ids.slice(0, cut));
        if (whole.startsWith(head)) assert.equal(rest, whole.slice(head.length), `${label} trial ${trial} after ${cut} ids`);
      }
    }
  });

  it('without the clean-up, holds back nothing but a cut-off character: spaces and quotes go out with their token', () => {
    const rng = new Rng(29);
    for (const { label, tok } of everyKind().filter((k) => k.tok.decodeCleansUpSpaces === false)) {
      forEachHeldBack(tok, rng, (held, decoded, ids) => {
        assert.ok(held === '' || held === '\uFFFD', `${label}: ${JSON.stringify(held)} held back after ${JSON.stringify(decoded)} (ids ${JSON.stringify(ids)})`);
      });
    }
    const bytes = new ByteTokenizer();
    const stream = new TextStream(bytes);
    assert.deepEqual(bytes.encode("it 's do n ' t x").map((id) => stream.push(id)).join('|'), "i|t| |'|s| |d|o| |n| |'| |t| |x");
    const bpe = byteLevelTokenizer({ clean_up_tokenization_spaces: false });
    const plain = new TextStream(bpe);
    assert.deepEqual(bpe.encode('a .').map((id) => plain.push(id)), ['a', ' ', '.']);
  });

  it('with the clean-up, holds back only a last quote and text after a last space that a clean-up rule may still change', () => {
    const rng = new Rng(31);
    for (const { label, tok } of everyKind().filter((k) => k.tok.decodeCleansUpSpaces === true)) {
      forEachHeldBack(tok, rng, (held, decoded) => {
        // Spaces, then what may still become " n't", " 's", " 've", " 're", " ' ", or a quote " ." may split off, then a cut-off character.
        assert.match(held, /^(?: (?:|'|n|n'|'v|'r))*'?\uFFFD?$/, `${label}: ${JSON.stringify(held)} held back after ${JSON.stringify(decoded)}`);
      });
    }
    const tok = byteLevelTokenizer();
    const stream = new TextStream(tok);
    assert.deepEqual(tok.encode('a b .').map((id) => stream.push(id)), ['a', '', ' b', '', '.']);
  });

  it('returns nothing for no text and keeps the ids it was given', () => {
    const tok = new ByteTokenizer();
    const stream = new TextStream(tok);
    assert.equal(stream.push(tok.bosId), '');
    assert.equal(stream.flush(), '');
    assert.deepEqual(stream.ids, [tok.bosId]);
    assert.equal(new TextStream(tok).flush(), '');
  });
});
