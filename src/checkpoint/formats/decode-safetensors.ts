import { CheckpointError } from '../../errors';
import { fromLittleEndianBytes } from './byte-order';
import { RawTensor } from './safetensors-dtype';
import { SAFETENSORS_MAX_HEADER_BYTES, parseSafetensorsHeader } from './safetensors-header';

/** Everything a safetensors file holds. */
export interface SafetensorsContents {
  /** Tensors by name, sorted by name. */
  tensors: Map<string, RawTensor>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

/**
 * Reads the 8-byte little-endian header length and checks it fits the file.
 * @throws CheckpointError naming `source`.
 */
export function readHeaderLength(prefix: Uint8Array, fileLength: number, source: string): number {
  if (fileLength < 8 || prefix.length < 8) {
    throw new CheckpointError(`Invalid safetensors file '${source}': ${fileLength} bytes is too short for the 8-byte header length.`);
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(Math.min(fileLength - 8, SAFETENSORS_MAX_HEADER_BYTES))) {
    throw new CheckpointError(
      `Invalid safetensors file '${source}': header length ${length} exceeds the ${fileLength - 8} bytes after the length field (file truncated or not safetensors?).`,
    );
  }
  return Number(length);
}

/**
 * Decodes a whole safetensors file held in memory, validating it on the way.
 *
 * @param source names the file in error messages.
 * @throws CheckpointError naming `source` and what is wrong.
 */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsContents {
  const headerLength = readHeaderLength(bytes, bytes.length, source);
  const dataStart = 8 + headerLength;
  const header = parseSafetensorsHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, source);
  const tensors = new Map<string, RawTensor>();
  const byName = [...header.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of byName) {
    const data = fromLittleEndianBytes(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata: header.metadata };
}
