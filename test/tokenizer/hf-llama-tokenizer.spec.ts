import { strict as assert } from 'assert';
import * as path from 'path';
import { HfTokenizer } from '../../src/tokenizer';
import { makeTempDir } from '../checkpoint/temp-dir';
import { writeTinyLlamaTokenizer } from './tiny-llama-tokenizer';

describe('HfTokenizer with a Llama-style (SentencePiece BPE, byte fallback) tokenizer', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-llama-tok-')));
  afterEach(() => cleanup());

  it('reads the folder: specials from tokenizer_config.json, pad falling back to eos', async () => {
    writeTinyLlamaTokenizer(dir);
    const tok = await HfTokenizer.load({ path: dir });
    assert.deepEqual([tok.vocabSize, tok.bosId, tok.eosId, tok.padId, tok.unkId], [29, 1, 2, 2, 0]);
  });

  it('round-trips text through Metaspace words and byte-fallback pieces, without the post-processor\'s <s>', async () => {
    writeTinyLlamaTokenizer(dir);
    const tok = await HfTokenizer.load({ path: dir });
    const cases: [string, number[]][] = [
      ['hello world', [21, 26]],
      // '!' and '\n' have no piece of their own: their bytes <0x21> and <0x0A>.
      ['hello world!\n', [21, 26, 4, 3]],
      // 'é' is two byte pieces, C3 A9; 'hé' is not a merge, so ▁h stays alone.
      ['héllo wé', [17, 5, 6, 19, 11, 22, 5, 6]],
      ['a tale', [27, 28, 15, 10, 9]],
      ['hello  world', [21, 7, 26]],
    ];
    for (const [text, ids] of cases) {
      assert.deepEqual(tok.encode(text), ids, text);
      assert.equal(tok.decode(ids), text, text);
    }
    // A character with neither a piece nor byte pieces is <unk> (special, so decode skips it).
    assert.deepEqual(tok.encode('hex'), [18, 0]);
    assert.equal(tok.decode([1, 21, 26, 2]), 'hello world', 'bos/eos are skipped');
  });

  it('reads one with a Metaspace decoder too', async () => {
    writeTinyLlamaTokenizer(path.join(dir, 'metaspace'), { decoder: 'metaspace' });
    const tok = await HfTokenizer.load({ path: path.join(dir, 'metaspace') });
    for (const text of ['hello world', 'world hello a tale']) assert.equal(tok.decode(tok.encode(text)), text);
  });
});
