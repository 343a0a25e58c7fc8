import { FloeError } from '../../errors';
import { crc32c, maskCrc32c } from './crc32c';

/**
 * Frames one record the TFRecord way: u64 LE length, masked CRC32C of those 8 length bytes,
 * the data, masked CRC32C of the data.
 */
export function encodeTfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc32c(crc32c(out.subarray(0, 8))), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskCrc32c(crc32c(data)), true);
  return out;
}

/** Options of {@link decodeTfRecords}. */
export interface DecodeTfRecordsOptions {
  /**
   * Stop quietly at an incomplete last record instead of throwing (a writer may be mid-append,
   * or crashed mid-record). Checksum mismatches still throw.
   */
  allowTruncatedTail?: boolean;
}

/**
 * Splits TFRecord bytes into records, verifying both checksums of each.
 * @param source names the file in error messages.
 */
export function decodeTfRecords(bytes: Uint8Array, source: string, options: DecodeTfRecordsOptions = {}): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const fail = (what: string): never => {
      throw new FloeError(`Invalid TFRecord file '${source}': record ${records.length} at byte ${pos}: ${what}.`);
    };
    if (pos + 12 > bytes.length) {
      if (options.allowTruncatedTail === true) break;
      fail('truncated length header');
    }
    const lengthBig = view.getBigUint64(pos, true);
    if (maskCrc32c(crc32c(bytes.subarray(pos, pos + 8))) !== view.getUint32(pos + 8, true)) fail('length checksum mismatch');
    const length = Number(lengthBig);
    if (pos + 16 + length > bytes.length) {
      if (options.allowTruncatedTail === true) break;
      fail(`truncated data (${length} bytes announced)`);
    }
    const data = bytes.subarray(pos + 12, pos + 12 + length);
    if (maskCrc32c(crc32c(data)) !== view.getUint32(pos + 12 + length, true)) fail('data checksum mismatch');
    records.push(data);
    pos += 16 + length;
  }
  return records;
}
