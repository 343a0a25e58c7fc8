import { DataError } from '../errors';
import { LmExample } from './lm-example';

const MAGIC = 'FLOEEX01';

/** Header of an encoded example file. */
interface Header {
  count: number;
  total: number;
  packed: boolean;
  meta: unknown;
}

/**
 * Examples as a compact binary blob (far smaller and faster than JSON for millions of tokens):
 * `FLOEEX01`, u32 header length, JSON header (padded to 4 bytes), then int32 row lengths,
 * int32 inputIds, int32 labels, float32 lossMask, int32 numTokens, and for packed rows int32
 * positions and segmentIds, each concatenated over rows. `meta` is any JSON stored alongside.
 */
export function encodeExamples(examples: readonly LmExample[], meta: unknown = null): Buffer {
  const count = examples.length;
  const total = examples.reduce((sum, e) => sum + e.inputIds.length, 0);
  const packed = examples.some((e) => e.segmentIds !== undefined || e.positions !== undefined);
  let headerBytes = Buffer.from(JSON.stringify({ count, total, packed, meta } satisfies Header), 'utf8');
  headerBytes = Buffer.concat([headerBytes, Buffer.alloc((4 - (headerBytes.length % 4)) % 4, 0x20)]);
  const columns = packed ? 5 : 3;
  const body = new ArrayBuffer(4 * (2 * count + columns * total));
  const lengths = new Int32Array(body, 0, count);
  const realCounts = new Int32Array(body, 4 * count, count);
  const column = (k: number): number => 4 * (2 * count + k * total);
  const inputIds = new Int32Array(body, column(0), total);
  const labels = new Int32Array(body, column(1), total);
  const lossMask = new Float32Array(body, column(2), total);
  const positions = packed ? new Int32Array(body, column(3), total) : undefined;
  const segmentIds = packed ? new Int32Array(body, column(4), total) : undefined;
  let offset = 0;
  examples.forEach((e, i) => {
    const n = e.inputIds.length;
    lengths[i] = n;
    realCounts[i] = e.numTokens ?? n;
    inputIds.set(e.inputIds, offset);
    labels.set(e.labels, offset);
    lossMask.set(e.lossMask, offset);
    for (let t = 0; t < n; t++) {
      if (positions !== undefined) positions[offset + t] = e.positions?.[t] ?? t;
      if (segmentIds !== undefined) segmentIds[offset + t] = e.segmentIds?.[t] ?? 1;
    }
    offset += n;
  });
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(headerBytes.length, 8);
  return Buffer.concat([prefix, headerBytes, Buffer.from(body)]);
}

/** Reverses {@link encodeExamples}; `file` names the source in errors. */
export function decodeExamples(buffer: Buffer, file: string): { examples: LmExample[]; meta: unknown } {
  if (buffer.length < 12 || buffer.toString('ascii', 0, 8) !== MAGIC) {
    throw new DataError(`${file}: not a Floe example cache (expected the ${MAGIC} signature).`);
  }
  const headerLength = buffer.readUInt32LE(8);
  const header = JSON.parse(buffer.toString('utf8', 12, 12 + headerLength)) as Header;
  const { count, total, packed } = header;
  const start = 12 + headerLength;
  const columns = packed ? 5 : 3;
  if (buffer.length - start !== 4 * (2 * count + columns * total)) {
    throw new DataError(`${file}: example cache is truncated (expected ${4 * (2 * count + columns * total)} data bytes, found ${buffer.length - start}).`);
  }
  // The rows are views of the file's bytes where they sit 4-byte aligned (a whole file read is);
  // otherwise (a Buffer at an odd pool offset) of one aligned copy.
  const aligned = (buffer.byteOffset + start) % 4 === 0;
  const body = aligned ? buffer.buffer : new Uint8Array(buffer.subarray(start)).buffer;
  const base = aligned ? buffer.byteOffset + start : 0;
  const lengths = new Int32Array(body, base, count);
  const realCounts = new Int32Array(body, base + 4 * count, count);
  const column = (k: number): number => base + 4 * (2 * count + k * total);
  const ints = (k: number) => new Int32Array(body, column(k), total);
  const inputIds = ints(0);
  const labels = ints(1);
  const lossMask = new Float32Array(body, column(2), total);
  const positions = packed ? ints(3) : undefined;
  const segmentIds = packed ? ints(4) : undefined;
  const examples: LmExample[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const n = lengths[i];
    // Views into the one decoded buffer: no per-row copies.
    const slice = <A extends Int32Array | Float32Array>(a: A): A => a.subarray(offset, offset + n) as A;
    const e: LmExample = { inputIds: slice(inputIds), labels: slice(labels), lossMask: slice(lossMask) };
    if (realCounts[i] !== n) e.numTokens = realCounts[i];
    if (positions !== undefined && segmentIds !== undefined) {
      e.positions = slice(positions);
      e.segmentIds = slice(segmentIds);
    }
    examples.push(e);
    offset += n;
  }
  return { examples, meta: header.meta };
}
