import { strict as assert } from 'assert';
import { ByteTokenizer } from '../../src/tokenizer';

describe('ByteTokenizer', () => {
  const tok = new ByteTokenizer();

  it('has 256 byte ids plus bos, eos and pad at 256..258', () => {
    assert.deepEqual([tok.bosId, tok.eosId, tok.padId, tok.vocabSize], [256, 257, 258, 259]);
  });

  it('round-trips ASCII, multibyte UTF-8 and emoji', () => {
    for (const text of ['hello, world', 'Ünïcödé ß', '日本語テキスト', 'family 👨‍👩‍👧 and 🙂', '', '\n\t\u0000']) {
      const ids = tok.encode(text);
      assert.ok(ids.every((id) => id >= 0 && id < 256));
      assert.equal(tok.decode(ids), text);
    }
    assert.deepEqual(tok.encode('é'), [0xc3, 0xa9]);
    assert.equal(tok.encode('🙂').length, 4);
  });

  it('skips special ids when decoding', () => {
    assert.equal(tok.decode([tok.bosId, ...tok.encode('hi'), tok.eosId, tok.padId, tok.padId]), 'hi');
  });

  it('decodes invalid or truncated UTF-8 without throwing', () => {
    const smile = tok.encode('🙂');
    assert.equal(tok.decode(smile.slice(0, 2)), '\uFFFD');
    assert.equal(tok.decode([0x61, 0xff, 0x62]), 'a\uFFFDb');
    assert.equal(tok.decode([0x61, -1, 1000, 1.5, 0x62]), 'ab');
  });

  it('maps specials and single bytes with tokenToId', () => {
    assert.equal(tok.tokenToId('<eos>'), 257);
    assert.equal(tok.tokenToId('A'), 65);
    assert.equal(tok.tokenToId('ab'), undefined);
  });
});
