import { strict as assert } from 'assert';
import { crc32c, maskCrc32c } from '../../../src/callbacks/writers';

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) vectors', () => {
    const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'ascii'));
    assert.equal(crc32c(ascii('123456789')), 0xe3069283);
    assert.equal(crc32c(ascii('a')), 0xc1d04330);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    // RFC 3720 appendix B.4.
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  });

  it('continues a checksum across chunks', () => {
    const data = new Uint8Array(Buffer.from('The quick brown fox jumps over the lazy dog'));
    assert.equal(crc32c(data.subarray(10), crc32c(data.subarray(0, 10))), crc32c(data));
  });

  it('masks as TFRecord does: rotate right 15, add 0xa282ead8 mod 2^32', () => {
    // Written with BigInt arithmetic, independently of the 32-bit tricks in the implementation.
    const reference = (crc: number): number => {
      const c = BigInt(crc);
      const rotated = ((c >> 15n) | (c << 17n)) & 0xffffffffn;
      return Number((rotated + 0xa282ead8n) & 0xffffffffn);
    };
    for (const crc of [0, 1, 0xe3069283, 0xffffffff, 0x80000000, 0x12345678]) assert.equal(maskCrc32c(crc), reference(crc));
    assert.equal(maskCrc32c(0), 0xa282ead8);
  });
});
