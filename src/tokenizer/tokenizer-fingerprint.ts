import { createHash } from 'crypto';
import { Tokenizer } from './tokenizer';

// Covers ASCII, accents, CJK, emoji and chat headers so different vocabularies hash differently.
const PROBE = 'The quick brown fox, 12345 + 678 = 13023. Ünïcödé 日本語 🙂 <|user|>\n\t';

/**
 * A stable identity for a tokenizer: its own `fingerprint` if it has one, otherwise a hash of its
 * special ids, vocabulary size and the encoding of a fixed probe text.
 */
export function tokenizerFingerprint(tokenizer: Tokenizer): string {
  if (tokenizer.fingerprint !== undefined) return tokenizer.fingerprint;
  const probe = JSON.stringify([tokenizer.vocabSize, tokenizer.bosId, tokenizer.eosId, tokenizer.padId, tokenizer.encode(PROBE)]);
  return `probe-${createHash('sha256').update(probe).digest('hex')}`;
}
